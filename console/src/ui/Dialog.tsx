import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

// A modal on the native <dialog> element: focus is trapped and Escape closes it.
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  // Focus goes back where it came from when the dialog closes (Escape, Cancel, Save), not
  // to the page's body, so a keyboard user keeps their place. The opener is taken at the
  // first render, before anything moves the focus, and focused again once the dialog has
  // left the page, unless something else (the next dialog) took the focus meanwhile.
  const opener = useRef(document.activeElement instanceof HTMLElement ? document.activeElement : null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
      const o = opener.current;
      const restore = () => {
        const a = document.activeElement;
        if (o?.isConnected && (!a || a === document.body || !a.isConnected)) o.focus();
      };
      restore();
      requestAnimationFrame(restore);
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.wide ? 'dlg wide' : 'dlg'}
      data-testid={props.testId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header class="dlg-head">
        <h2>{props.title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="dlg-body">{props.children}</div>
    </dialog>
  );
}

export function ConfirmDialog(props: {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
  danger?: boolean;
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose} testId="confirm">
      <p class="confirm-text">{props.message}</p>
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class={props.danger ? 'danger' : 'primary'}
          data-testid="confirm-ok"
          onClick={async () => {
            await props.onConfirm();
          }}
        >
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
