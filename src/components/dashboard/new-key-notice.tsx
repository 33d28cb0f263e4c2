"use client";

import type { RouterOutputs } from "~/trpc/types";
import { useT } from "~/i18n/client";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { CopyButton } from "./copy-button";

/** A key just created (or rotated: an existing key with a new secret), with its secret. */
export type CreatedKey = Pick<RouterOutputs["apiKey"]["create"], "id" | "name" | "secret"> & { rotated?: boolean };

const codeClass =
  "min-w-0 flex-1 break-all rounded-lg bg-zinc-50 px-3 py-2 font-mono text-xs ring-1 ring-zinc-200 dark:bg-zinc-950 dark:ring-zinc-800";

/**
 * A new key's secret, the only time it is ever visible: a modal dialog (focus on the secret's Copy
 * button); "I have saved it" or Escape closes it and focus goes to `returnFocus()`.
 */
export function NewKeyNotice({
  createdKey,
  onDone,
  returnFocus,
}: {
  createdKey: CreatedKey;
  onDone: () => void;
  returnFocus?: () => HTMLElement | null | undefined;
}) {
  const t = useT();
  return (
    <Dialog titleId="new-key-title" descriptionId="new-key-description" onClose={onDone} returnFocus={returnFocus} testId="new-key-dialog">
      <h2 id="new-key-title" className="text-base font-semibold">
        {t(createdKey.rotated ? "newKey.rotated" : "newKey.created", { name: createdKey.name })}
      </h2>
      <p id="new-key-description" className="mt-1 text-sm text-zinc-600 dark:text-zinc-300">
        {t(createdKey.rotated ? "newKey.copyNewNow" : "newKey.copyNow")}
      </p>
      <dl className="mt-4 space-y-3 text-sm">
        <div>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">{t("newKey.secret")}</dt>
          <dd className="mt-1 flex items-center gap-2">
            <code data-testid="new-key-secret" className={codeClass}>
              {createdKey.secret}
            </code>
            <CopyButton text={createdKey.secret} autoFocus />
          </dd>
        </div>
        <div>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">{t("newKey.apiId")}</dt>
          <dd className="mt-1 flex items-center gap-2">
            <code data-testid="new-key-id" className={codeClass}>
              {createdKey.id}
            </code>
            <CopyButton text={createdKey.id} />
          </dd>
        </div>
      </dl>
      <div className="mt-5 flex justify-end">
        <Button variant="primary" onClick={onDone}>
          {t("newKey.saved")}
        </Button>
      </div>
    </Dialog>
  );
}
