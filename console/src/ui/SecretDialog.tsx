import { useState } from 'preact/hooks';
import { Dialog } from './Dialog';

async function copyText(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (plain HTTP, headless): select it for Ctrl+C.
    fallbackInput?.select();
    return false;
  }
}

// The one and only time a secret is on screen. Closing the dialog drops it from memory.
export function SecretDialog(props: { title: string; secret: string; note?: string; onClose: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'select'>('no');
  let input: HTMLInputElement | null = null;
  return (
    <Dialog title={props.title} onClose={props.onClose} testId="secret-dialog">
      <p class="warn">
        This secret is shown <strong>once</strong>. Copy it now and store it safely: the API keeps only its
        hash, so it cannot be shown again (rotate it to get a new one).
      </p>
      {props.note ? <p>{props.note}</p> : null}
      <div class="secret-row">
        <input
          ref={(el) => {
            input = el;
          }}
          class="secret mono"
          data-testid="secret-value"
          readOnly
          value={props.secret}
          onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
          aria-label="secret"
        />
        <button
          type="button"
          class="primary"
          data-testid="secret-copy"
          onClick={async () => setCopied((await copyText(props.secret, input)) ? 'yes' : 'select')}
        >
          Copy
        </button>
      </div>
      <p class="muted" aria-live="polite">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'select' ? 'Selected: press Ctrl+C to copy.' : ''}
      </p>
      <div class="actions">
        <button type="button" data-testid="secret-done" onClick={props.onClose}>
          I have stored it
        </button>
      </div>
    </Dialog>
  );
}
