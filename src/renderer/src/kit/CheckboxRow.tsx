import type { ReactElement, ReactNode } from 'react';

/** A checkbox with its label in bold and, under it, what the caller adds (help or a warning). */
export function CheckboxRow({
  testId,
  checked,
  disabled,
  onChange,
  label,
  children,
}: {
  testId: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
  label: ReactNode;
  children?: ReactNode;
}): ReactElement {
  return (
    <label className="checkbox-row">
      <input
        type="checkbox"
        data-testid={testId}
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
      />
      <span>
        <span className="checkbox-label">{label}</span>
        {children}
      </span>
    </label>
  );
}
