import { buttonClass } from "../ui/button";
import { inputClass } from "../ui/field";
import { cn } from "../ui/cn";

/** A plain GET form: the result URL (/lookup?id=…) is the shareable link. Works without JavaScript. */
export function LookupForm({ defaultId }: { defaultId?: string }) {
  return (
    <form method="get" action="/lookup" className="flex flex-col gap-2 sm:flex-row" role="search">
      <label htmlFor="lookup-id" className="sr-only">
        API ID
      </label>
      <input
        id="lookup-id"
        name="id"
        defaultValue={defaultId}
        required
        placeholder="API ID, e.g. 123e4567-e89b-12d3-a456-426614174000"
        autoComplete="off"
        spellCheck={false}
        className={cn(inputClass, "w-full flex-1 font-mono")}
      />
      <button type="submit" className={buttonClass("primary")}>
        Look up
      </button>
    </form>
  );
}
