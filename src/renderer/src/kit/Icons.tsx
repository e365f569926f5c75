/** Small inline SVG icons (no icon font, nothing remote). Decorative: hidden from screen readers. */
import type { ReactElement, ReactNode } from 'react';
import type { HostStatus } from '../../../shared/contract';

interface IconProps {
  className?: string;
}

function Svg({ className, children }: IconProps & { children: ReactNode }): ReactElement {
  return (
    <svg
      className={className ? `icon ${className}` : 'icon'}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  );
}

export function LockIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="3" y="7" width="10" height="7" rx="1.5" />
      <path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" />
    </Svg>
  );
}

export function KeyIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="5.5" cy="10.5" r="3" />
      <path d="M7.7 8.3L13.5 2.5M11.5 4.5l1.8 1.8M9.8 6.2l1.4 1.4" />
    </Svg>
  );
}

export function RefreshIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M13.5 8a5.5 5.5 0 1 1-1.6-3.9" />
      <path d="M13.5 2.5v3h-3" />
    </Svg>
  );
}

export function ImportIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M8 2v8M4.8 7L8 10.2 11.2 7" />
      <path d="M2.5 11v2.5h11V11" />
    </Svg>
  );
}

export function ArrowUpIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M8 13V3M4 7l4-4 4 4" />
    </Svg>
  );
}

export function ArrowDownIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M8 3v10M4 9l4 4 4-4" />
    </Svg>
  );
}

export function CheckIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M3 8.5l3 3 7-7" />
    </Svg>
  );
}

export function WarningIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M8 2l6.5 11.5h-13z" />
      <path d="M8 6.5v3" />
      <path d="M8 11.7v.1" />
    </Svg>
  );
}

export function ErrorIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="8" cy="8" r="6" />
      <path d="M5.8 5.8l4.4 4.4M10.2 5.8l-4.4 4.4" />
    </Svg>
  );
}

export function UnreachableIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M2 6.5a9 9 0 0 1 12 0" />
      <path d="M4.3 9a5.5 5.5 0 0 1 7.4 0" />
      <path d="M2.5 2.5l11 11" />
    </Svg>
  );
}

export function UnknownIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <circle cx="8" cy="8" r="6" strokeDasharray="2.2 2" />
    </Svg>
  );
}

const GLYPHS: Readonly<Record<string, (p: IconProps) => ReactElement>> = {
  ok: CheckIcon,
  warning: WarningIcon,
  error: ErrorIcon,
  unknown: UnknownIcon,
  unreachable: UnreachableIcon,
  'key-changed': LockIcon,
  'key-unconfirmed': KeyIcon,
};

/** The icon of a status, signal or tone (never colour alone); any other word gets the unknown icon. */
export function GlyphIcon({ name }: { name: string }): ReactElement {
  const Glyph = GLYPHS[name] ?? UnknownIcon;
  return <Glyph />;
}

export function StatusIcon({ status }: { status: HostStatus }): ReactElement {
  return <GlyphIcon name={status} />;
}

export function CloseIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <path d="M4 4l8 8M12 4l-8 8" />
    </Svg>
  );
}

export function KeyboardIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="1.5" y="4" width="13" height="8" rx="1.5" />
      <path d="M4 6.5h.01M6.5 6.5h.01M9 6.5h.01M11.5 6.5h.01M5 9.5h6" />
    </Svg>
  );
}

export function ServerIcon(p: IconProps): ReactElement {
  return (
    <Svg {...p}>
      <rect x="2" y="2.5" width="12" height="4.5" rx="1" />
      <rect x="2" y="9" width="12" height="4.5" rx="1" />
      <path d="M4.5 4.75h.01M4.5 11.25h.01" />
    </Svg>
  );
}

/** One icon per navigation section. */
export function NavIcon({ name }: { name: string }): ReactElement {
  switch (name) {
    case 'fleet':
      return (
        <Svg>
          <rect x="2" y="2" width="5" height="5" rx="1" />
          <rect x="9" y="2" width="5" height="5" rx="1" />
          <rect x="2" y="9" width="5" height="5" rx="1" />
          <rect x="9" y="9" width="5" height="5" rx="1" />
        </Svg>
      );
    case 'hosts':
      return <ServerIcon />;
    case 'tenants':
      return (
        <Svg>
          <path d="M8 1.8l5.5 3.1v6.2L8 14.2l-5.5-3.1V4.9z" />
          <path d="M2.5 4.9L8 8l5.5-3.1M8 8v6.2" />
        </Svg>
      );
    case 'backups':
      return (
        <Svg>
          <ellipse cx="8" cy="4" rx="5.5" ry="2" />
          <path d="M2.5 4v8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2V4" />
          <path d="M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2" />
        </Svg>
      );
    case 'updates':
      return (
        <Svg>
          <path d="M13.2 6.2A5.5 5.5 0 0 0 3 5" />
          <path d="M2.8 9.8A5.5 5.5 0 0 0 13 11" />
          <path d="M3 2v3h3M13 14v-3h-3" />
        </Svg>
      );
    case 'costs':
      return (
        <Svg>
          <path d="M2 13.5h12" />
          <path d="M4 11V8M7 11V5M10 11V7M13 11V3" />
        </Svg>
      );
    case 'knowledge':
      return (
        <Svg>
          <path d="M2.5 3h4a1.5 1.5 0 0 1 1.5 1.5V13a1 1 0 0 0-1-1H2.5z" />
          <path d="M13.5 3h-4A1.5 1.5 0 0 0 8 4.5V13a1 1 0 0 1 1-1h4.5z" />
        </Svg>
      );
    case 'audit':
      return (
        <Svg>
          <rect x="3" y="2" width="10" height="12" rx="1.5" />
          <path d="M5.5 5.5h5M5.5 8h5M5.5 10.5h3" />
        </Svg>
      );
    case 'settings':
      return (
        <Svg>
          <circle cx="8" cy="8" r="2.2" />
          <path d="M8 1.8v1.7M8 12.5v1.7M1.8 8h1.7M12.5 8h1.7M3.6 3.6l1.2 1.2M11.2 11.2l1.2 1.2M3.6 12.4l1.2-1.2M11.2 4.8l1.2-1.2" />
        </Svg>
      );
    default:
      return <UnknownIcon />;
  }
}
