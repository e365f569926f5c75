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

/**
 * One stroke of an icon: a path's `d`, or a rectangle [x, y, width, height, rx], a circle
 * [cx, cy, r] (dashed when given a dash pattern), an ellipse [cx, cy, rx, ry].
 */
type Stroke =
  | string
  | { rect: [number, number, number, number, number] }
  | { circle: [number, number, number]; dash?: string }
  | { ellipse: [number, number, number, number] };

function drawStroke(stroke: Stroke, key: number): ReactElement {
  if (typeof stroke === 'string') return <path key={key} d={stroke} />;
  if ('rect' in stroke) {
    const [x, y, width, height, rx] = stroke.rect;
    return <rect key={key} x={x} y={y} width={width} height={height} rx={rx} />;
  }
  if ('circle' in stroke) {
    const [cx, cy, r] = stroke.circle;
    return <circle key={key} cx={cx} cy={cy} r={r} strokeDasharray={stroke.dash} />;
  }
  const [cx, cy, rx, ry] = stroke.ellipse;
  return <ellipse key={key} cx={cx} cy={cy} rx={rx} ry={ry} />;
}

/** Every icon's strokes, drawn on a 16×16 grid. */
const STROKES = {
  LockIcon: [{ rect: [3, 7, 10, 7, 1.5] }, 'M5.5 7V5a2.5 2.5 0 0 1 5 0v2'],
  KeyIcon: [{ circle: [5.5, 10.5, 3] }, 'M7.7 8.3L13.5 2.5M11.5 4.5l1.8 1.8M9.8 6.2l1.4 1.4'],
  RefreshIcon: ['M13.5 8a5.5 5.5 0 1 1-1.6-3.9', 'M13.5 2.5v3h-3'],
  ImportIcon: ['M8 2v8M4.8 7L8 10.2 11.2 7', 'M2.5 11v2.5h11V11'],
  ArrowUpIcon: ['M8 13V3M4 7l4-4 4 4'],
  ArrowDownIcon: ['M8 3v10M4 9l4 4 4-4'],
  CheckIcon: ['M3 8.5l3 3 7-7'],
  WarningIcon: ['M8 2l6.5 11.5h-13z', 'M8 6.5v3', 'M8 11.7v.1'],
  ErrorIcon: [{ circle: [8, 8, 6] }, 'M5.8 5.8l4.4 4.4M10.2 5.8l-4.4 4.4'],
  UnreachableIcon: ['M2 6.5a9 9 0 0 1 12 0', 'M4.3 9a5.5 5.5 0 0 1 7.4 0', 'M2.5 2.5l11 11'],
  UnknownIcon: [{ circle: [8, 8, 6], dash: '2.2 2' }],
  CloseIcon: ['M4 4l8 8M12 4l-8 8'],
  KeyboardIcon: [{ rect: [1.5, 4, 13, 8, 1.5] }, 'M4 6.5h.01M6.5 6.5h.01M9 6.5h.01M11.5 6.5h.01M5 9.5h6'],
  ServerIcon: [{ rect: [2, 2.5, 12, 4.5, 1] }, { rect: [2, 9, 12, 4.5, 1] }, 'M4.5 4.75h.01M4.5 11.25h.01'],
  // Navigation sections.
  FleetIcon: [
    { rect: [2, 2, 5, 5, 1] },
    { rect: [9, 2, 5, 5, 1] },
    { rect: [2, 9, 5, 5, 1] },
    { rect: [9, 9, 5, 5, 1] },
  ],
  TenantsIcon: ['M8 1.8l5.5 3.1v6.2L8 14.2l-5.5-3.1V4.9z', 'M2.5 4.9L8 8l5.5-3.1M8 8v6.2'],
  BackupsIcon: [
    { ellipse: [8, 4, 5.5, 2] },
    'M2.5 4v8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2V4',
    'M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2',
  ],
  AlertsIcon: ['M4 11V7a4 4 0 0 1 8 0v4l1.2 1.5H2.8z', 'M6.5 13.5a1.6 1.6 0 0 0 3 0'],
  UpdatesIcon: ['M13.2 6.2A5.5 5.5 0 0 0 3 5', 'M2.8 9.8A5.5 5.5 0 0 0 13 11', 'M3 2v3h3M13 14v-3h-3'],
  CostsIcon: ['M2 13.5h12', 'M4 11V8M7 11V5M10 11V7M13 11V3'],
  InboxIcon: ['M2 9.5L4 3.5h8l2 6v3.5H2z', 'M2 9.5h3.5l1 1.5h3l1-1.5H14'],
  KnowledgeIcon: [
    'M2.5 3h4a1.5 1.5 0 0 1 1.5 1.5V13a1 1 0 0 0-1-1H2.5z',
    'M13.5 3h-4A1.5 1.5 0 0 0 8 4.5V13a1 1 0 0 1 1-1h4.5z',
  ],
  AuditIcon: [{ rect: [3, 2, 10, 12, 1.5] }, 'M5.5 5.5h5M5.5 8h5M5.5 10.5h3'],
  SettingsIcon: [
    { circle: [8, 8, 2.2] },
    'M8 1.8v1.7M8 12.5v1.7M1.8 8h1.7M12.5 8h1.7M3.6 3.6l1.2 1.2M11.2 11.2l1.2 1.2M3.6 12.4l1.2-1.2M11.2 4.8l1.2-1.2',
  ],
} satisfies Record<string, Stroke[]>;

type IconName = keyof typeof STROKES;

/** The icon named `name` (a key of the stroke table: `WarningIcon`, `FleetIcon` …). */
export function Icon({ name, className }: IconProps & { name: IconName }): ReactElement {
  return <Svg className={className}>{STROKES[name].map(drawStroke)}</Svg>;
}

/** One component per icon, named as in the stroke table. */
function components(): Record<IconName, (p: IconProps) => ReactElement> {
  const out = {} as Record<IconName, (p: IconProps) => ReactElement>;
  for (const name of Object.keys(STROKES) as IconName[]) out[name] = (p) => <Icon name={name} {...p} />;
  return out;
}

const ICONS = components();
export const { LockIcon, KeyIcon, RefreshIcon, ImportIcon, ArrowUpIcon, ArrowDownIcon, CheckIcon } = ICONS;
export const { WarningIcon, ErrorIcon, UnreachableIcon, UnknownIcon, CloseIcon, KeyboardIcon, ServerIcon } =
  ICONS;

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

/** One icon per navigation section. */
export function NavIcon({ name }: { name: string }): ReactElement {
  const icon = name === 'hosts' ? 'ServerIcon' : `${name.charAt(0).toUpperCase()}${name.slice(1)}Icon`;
  return icon in STROKES ? <Icon name={icon as IconName} /> : <UnknownIcon />;
}
