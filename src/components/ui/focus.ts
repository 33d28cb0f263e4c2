/** Keyboard focus helpers shared by the modal dialog and the phone header menu. */

const FOCUSABLE = 'a[href], button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), [tabindex]:not([tabindex="-1"])';

/** The elements inside `root` that Tab reaches, in document order (hidden ones left out). */
export function focusablesIn(root: ParentNode): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
}

/**
 * Keeps Tab and Shift+Tab inside `stops` (in their order): from the last to the first and back;
 * focus outside them goes to the first (or, with Shift, the last). True when it moved the focus.
 */
export function cycleTab(e: Pick<KeyboardEvent, "key" | "shiftKey" | "preventDefault">, stops: readonly HTMLElement[]): boolean {
  if (e.key !== "Tab") return false;
  const first = stops[0];
  const last = stops[stops.length - 1];
  if (!first || !last) return false;
  const active = document.activeElement;
  const inside = stops.some((el) => el === active);
  let target: HTMLElement | null = null;
  if (!inside) target = e.shiftKey ? last : first;
  else if (e.shiftKey && active === first) target = last;
  else if (!e.shiftKey && active === last) target = first;
  if (!target) return false;
  e.preventDefault();
  target.focus();
  return true;
}
