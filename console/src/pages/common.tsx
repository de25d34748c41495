import type { Api } from '../lib/api';
import { Badge } from '../ui/fields';
import type { RowTools } from '../ui/ResourcePage';

// Enable/disable (or suspend/activate) a row through a partial PUT.
export function StatusToggle(props: {
  api: Api;
  path: string;
  status: string;
  on?: string;
  off?: string;
  tools: RowTools<never>;
}) {
  const on = props.on ?? 'active';
  const off = props.off ?? 'disabled';
  const next = props.status === on ? off : on;
  return (
    <button
      type="button"
      class="small"
      data-testid={`set-${next}`}
      onClick={async () => {
        try {
          await props.api.put(props.path, { status: next });
          props.tools.reload();
        } catch (e) {
          props.tools.setError(e);
        }
      }}
    >
      {next === on ? 'Enable' : next === 'suspended' ? 'Suspend' : 'Disable'}
    </button>
  );
}

export const statusCol = <T extends { status?: string }>() => ({
  key: 'status',
  title: 'Status',
  render: (r: T) => <Badge value={r.status ?? ''} />,
});

export const listText = (v: unknown, max = 3): string => {
  if (!Array.isArray(v)) return '';
  const head = v.slice(0, max).join(', ');
  return v.length > max ? `${head} +${v.length - max}` : head;
};
