import { lookupAction } from "~/app/lookup/actions";
import { getT } from "~/i18n/server";
import { buttonClass } from "../ui/button";
import { inputClass } from "../ui/field";
import { cn } from "../ui/cn";

/**
 * Posts to a server action (so a pasted key never lands in a URL), which redirects to
 * /lookup?id=<API ID>: the shareable link. Works without JavaScript.
 */
export async function LookupForm({ defaultId }: { defaultId?: string }) {
  const { t } = await getT();
  return (
    <form action={lookupAction} className="flex flex-col gap-2 sm:flex-row" role="search">
      <label htmlFor="lookup-id" className="sr-only">
        {t("lookup.idLabel")}
      </label>
      <input
        id="lookup-id"
        name="id"
        defaultValue={defaultId}
        required
        placeholder={t("lookup.placeholder")}
        autoComplete="off"
        spellCheck={false}
        className={cn(inputClass, "w-full flex-1 font-mono")}
      />
      <button type="submit" className={buttonClass("primary")}>
        {t("lookup.submit")}
      </button>
    </form>
  );
}
