import type { ComponentChildren } from 'preact';
import { ApiError } from '../lib/api';
import { FieldError, fieldMatches } from '../lib/forms';

export type FormState = Record<string, string | boolean>;

export function errorField(err: unknown): string | undefined {
  if (err instanceof ApiError || err instanceof FieldError) return err.field ?? undefined;
  return undefined;
}

function FieldWrap(props: { label: string; name: string; err: unknown; hint?: string; children: ComponentChildren }) {
  const bad = fieldMatches(errorField(props.err), props.name);
  return (
    <label class={bad ? 'field bad' : 'field'} data-field={props.name}>
      <span class="field-label">{props.label}</span>
      {props.children}
      {bad ? (
        <span class="field-error" role="alert">
          {(props.err as Error).message}
        </span>
      ) : props.hint ? (
        <span class="hint">{props.hint}</span>
      ) : null}
    </label>
  );
}

export function TextField(props: {
  label: string;
  name: string;
  form: FormState;
  set: (name: string, v: string | boolean) => void;
  err: unknown;
  hint?: string;
  placeholder?: string;
  multiline?: boolean;
  type?: string;
  mono?: boolean;
  disabled?: boolean;
}) {
  const v = String(props.form[props.name] ?? '');
  const common = {
    name: props.name,
    value: v,
    placeholder: props.placeholder,
    disabled: props.disabled,
    class: props.mono ? 'mono' : undefined,
    onInput: (e: Event) => props.set(props.name, (e.currentTarget as HTMLInputElement).value),
    'aria-invalid': fieldMatches(errorField(props.err), props.name),
  };
  return (
    <FieldWrap label={props.label} name={props.name} err={props.err} hint={props.hint}>
      {props.multiline ? <textarea rows={3} {...common} /> : <input type={(props.type ?? 'text') as 'text'} {...common} />}
    </FieldWrap>
  );
}

export function SelectField(props: {
  label: string;
  name: string;
  form: FormState;
  set: (name: string, v: string | boolean) => void;
  err: unknown;
  options: string[];
  hint?: string;
}) {
  return (
    <FieldWrap label={props.label} name={props.name} err={props.err} hint={props.hint}>
      <select
        name={props.name}
        value={String(props.form[props.name] ?? '')}
        onChange={(e) => props.set(props.name, (e.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </FieldWrap>
  );
}

export function CheckField(props: {
  label: string;
  name: string;
  form: FormState;
  set: (name: string, v: string | boolean) => void;
  err: unknown;
}) {
  const bad = fieldMatches(errorField(props.err), props.name);
  return (
    <label class={bad ? 'check bad' : 'check'} data-field={props.name}>
      <input
        type="checkbox"
        name={props.name}
        checked={props.form[props.name] === true}
        onChange={(e) => props.set(props.name, (e.currentTarget as HTMLInputElement).checked)}
      />{' '}
      {props.label}
      {bad ? <span class="field-error">{(props.err as Error).message}</span> : null}
    </label>
  );
}

export function Badge(props: { value: string }) {
  const cls = /^(active|ok|ready|idle)$/.test(props.value)
    ? 'badge ok'
    : /^(disabled|suspended|error|failing|busy)$/.test(props.value)
      ? 'badge bad'
      : 'badge';
  return <span class={cls}>{props.value}</span>;
}
