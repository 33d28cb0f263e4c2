# Sourced by scripts/start.sh: .env (written with fresh secrets on first run) fills in what the
# environment leaves unset; variables already exported win. Node's own .env parser reads the file
# (scripts/ensure-env.ts), so .env is data here, never shell code.
_metergate_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_metergate_exports="$(node "$_metergate_root/node_modules/tsx/dist/cli.mjs" "$_metergate_root/scripts/ensure-env.ts" --exports)" || return 1
eval "$_metergate_exports"
unset _metergate_root _metergate_exports
