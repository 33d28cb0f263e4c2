import { cn } from "./cn";

/**
 * A live region that is always in the page, so a message put into it later (a validation error,
 * "Copied", "Saved") is announced by screen readers; empty, it takes no space.
 */
export function LiveMessage({
  message,
  id,
  urgent = false,
  className,
  testId,
}: {
  message: string | null | undefined;
  id?: string;
  /** assertive (role=alert) for errors; polite (role=status) otherwise. */
  urgent?: boolean;
  className?: string;
  testId?: string;
}) {
  return (
    <p id={id} role={urgent ? "alert" : "status"} aria-atomic="true" data-testid={testId} className={message ? className : cn("sr-only")}>
      {message ?? ""}
    </p>
  );
}
