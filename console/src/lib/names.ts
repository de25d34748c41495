// Names for the ids that logs, keys and usage carry (master, key, provider), from the
// list endpoints. An id missing from a loaded list belongs to a deleted row.

export type NameMap = Map<string, string>;

// "acme (#3)" when the list has it, "#3 (deleted)" when the loaded list does not, "#3"
// while the list is loading or could not be read (a tenant cannot list providers).
export function nameLabel(id: unknown, names: NameMap | null | undefined, max = 40): string {
  if (id === null || id === undefined || id === '' || id === 0) return '–';
  const k = String(id);
  let text: string;
  if (!names) text = `#${k}`;
  else if (names.has(k)) text = `${names.get(k) || '(unnamed)'} (#${k})`;
  else text = `#${k} (deleted)`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function toNameMap(items: { id: number | string; name?: string }[]): NameMap {
  return new Map(items.map((x) => [String(x.id), x.name ?? '']));
}
