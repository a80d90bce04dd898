/**
 * Where a dialog hands the keyboard focus back when it closes. The console's dialogs are opened
 * from buttons and from menu items; Radix returns focus only to a Dialog.Trigger, and a menu
 * item is gone by the time the dialog closes, so focus fell to <body>. This remembers the last
 * focused element outside any menu (for a menu item: the button that opened the menu), which
 * is what the user was on before the dialog opened.
 */
let lastOutsideMenu: HTMLElement | null = null;
let installed = false;

export function trackFocusOrigin(): void {
  if (installed || typeof document === "undefined") return;
  installed = true;
  document.addEventListener(
    "focusin",
    (event) => {
      const target = event.target;
      if (!(target instanceof HTMLElement)) return;
      const menu = target.closest('[role="menu"]');
      if (!menu) {
        lastOutsideMenu = target;
        return;
      }
      // A mouse click opens a Radix menu without focusing its button; the menu is labelled by it.
      const label = menu.getAttribute("aria-labelledby");
      const button = label ? document.getElementById(label) : null;
      if (button) lastOutsideMenu = button;
    },
    true,
  );
}

/** The element to return to for a dialog opening now. */
export function currentFocusOrigin(): HTMLElement | null {
  return lastOutsideMenu;
}
