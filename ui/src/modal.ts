// What every modal dialog of the window shares: shown, focused, Escape
// closes it, and the focus goes back where it was.

export class Modal {
  private before: HTMLElement | null = null;

  constructor(
    readonly el: HTMLElement,
    private onEscape: () => void,
  ) {
    el.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.onEscape();
      } else if (e.key === "Tab") {
        this.trap(e);
      }
    });
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** Shows the dialog and focuses `focus` (else its first field). */
  show(focus?: HTMLElement): void {
    if (this.el.hidden) {
      const active = document.activeElement;
      this.before = active instanceof HTMLElement ? active : null;
    }
    this.el.hidden = false;
    const first =
      focus ?? this.el.querySelector<HTMLElement>("input, select, textarea, button:not([disabled])");
    first?.focus();
  }

  /** Tab and Shift+Tab go round the dialog's controls, never behind it. */
  private trap(e: KeyboardEvent): void {
    const controls = [
      ...this.el.querySelectorAll<HTMLElement>("input, select, textarea, button"),
    ].filter((c) => !(c as HTMLButtonElement).disabled && !c.closest("[hidden]"));
    if (controls.length === 0) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  /** Hides the dialog; the focus returns to where it was. */
  hide(): void {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.before?.focus();
    this.before = null;
  }
}
