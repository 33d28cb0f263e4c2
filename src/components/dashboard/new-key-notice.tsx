"use client";

import type { RouterOutputs } from "~/trpc/types";
import { Button } from "../ui/button";
import { CopyButton } from "./copy-button";

/** A key just created (or rotated: an existing key with a new secret), with its secret. */
export type CreatedKey = Pick<RouterOutputs["apiKey"]["create"], "id" | "name" | "secret"> & { rotated?: boolean };

/** Shows a new key's secret: the only time it is ever visible. */
export function NewKeyNotice({ createdKey, onDone }: { createdKey: CreatedKey; onDone: () => void }) {
  return (
    <div
      role="dialog"
      aria-labelledby="new-key-title"
      className="rounded-xl border border-emerald-300 bg-emerald-50 p-4 dark:border-emerald-800 dark:bg-emerald-950/40"
    >
      <h3 id="new-key-title" className="font-semibold text-emerald-900 dark:text-emerald-200">
        Key “{createdKey.name}” {createdKey.rotated ? "rotated" : "created"}
      </h3>
      <p className="mt-1 text-sm text-emerald-800 dark:text-emerald-300">
        Copy the {createdKey.rotated ? "new " : ""}secret now. It is shown only once; Metergate stores just its hash.
      </p>
      <dl className="mt-3 space-y-3 text-sm">
        <div>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">Secret key</dt>
          <dd className="mt-1 flex items-center gap-2">
            <code
              data-testid="new-key-secret"
              className="min-w-0 flex-1 truncate rounded-lg bg-white px-3 py-2 font-mono text-xs ring-1 ring-zinc-200 dark:bg-zinc-950 dark:ring-zinc-800"
            >
              {createdKey.secret}
            </code>
            <CopyButton text={createdKey.secret} />
          </dd>
        </div>
        <div>
          <dt className="font-medium text-zinc-700 dark:text-zinc-300">API ID (public, for lookup)</dt>
          <dd className="mt-1 flex items-center gap-2">
            <code
              data-testid="new-key-id"
              className="min-w-0 flex-1 truncate rounded-lg bg-white px-3 py-2 font-mono text-xs ring-1 ring-zinc-200 dark:bg-zinc-950 dark:ring-zinc-800"
            >
              {createdKey.id}
            </code>
            <CopyButton text={createdKey.id} />
          </dd>
        </div>
      </dl>
      <div className="mt-4 flex justify-end">
        <Button variant="secondary" onClick={onDone}>
          I have saved it
        </Button>
      </div>
    </div>
  );
}
