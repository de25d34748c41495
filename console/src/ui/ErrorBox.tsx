import { describeError } from '../lib/api';

// Every API error on screen: its message, the field it names, and the code/status.
export function ErrorBox(props: { error: unknown; onDismiss?: () => void }) {
  if (!props.error) return null;
  const d = describeError(props.error);
  return (
    <div class="error" role="alert" data-testid="error">
      <strong>{d.message}</strong>
      {d.field ? (
        <span class="error-field">
          {' '}
          field: <code>{d.field}</code>
        </span>
      ) : null}
      {d.detail ? <span class="muted"> ({d.detail})</span> : null}
      {props.onDismiss ? (
        <button type="button" class="icon" aria-label="Dismiss" onClick={props.onDismiss}>
          ×
        </button>
      ) : null}
    </div>
  );
}
