/**
 * A modal dialog: rendered outside the app root (which becomes inert while it is open), focus
 * trapped inside, Escape cancels, focus goes back where it was when it closes.
 */
import { useEffect, useRef } from 'react';
import type { KeyboardEvent, ReactElement, ReactNode, RefObject } from 'react';
import { createPortal } from 'react-dom';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute('inert'));
}

function ignore(): void {}

export interface ModalProps {
  labelledBy: string;
  describedBy?: string;
  onCancel: () => void;
  /** While true, Escape does nothing (the work the dialog started can't be left half-done). */
  busy?: boolean;
  testId?: string;
  tone?: 'normal' | 'danger';
  size?: 'normal' | 'wide';
  initialFocus?: RefObject<HTMLElement | null>;
  children: ReactNode;
}

export function Modal({
  labelledBy,
  describedBy,
  onCancel,
  busy = false,
  testId,
  tone = 'normal',
  size = 'normal',
  initialFocus,
  children,
}: ModalProps): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  const cancel = busy ? ignore : onCancel;
  const cancelRef = useRef(cancel);
  useEffect(() => {
    cancelRef.current = cancel;
  }, [cancel]);

  useEffect(() => {
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const appRoot = document.getElementById('root');
    if (appRoot) appRoot.inert = true;
    const dialog = ref.current;
    if (dialog) {
      const target = initialFocus?.current ?? focusables(dialog)[0] ?? dialog;
      target.focus();
    }
    const keepFocusInside = (e: FocusEvent): void => {
      const d = ref.current;
      if (d && e.target instanceof Node && !d.contains(e.target)) (focusables(d)[0] ?? d).focus();
    };
    document.addEventListener('focusin', keepFocusInside);
    // Escape also when the focus is nowhere (the focused button went away): the page's body.
    const escapeAnywhere = (e: globalThis.KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const d = ref.current;
      if (d && e.target instanceof Node && d.contains(e.target)) return;
      e.preventDefault();
      cancelRef.current();
    };
    document.addEventListener('keydown', escapeAnywhere);
    return () => {
      document.removeEventListener('focusin', keepFocusInside);
      document.removeEventListener('keydown', escapeAnywhere);
      if (appRoot) appRoot.inert = false;
      if (previous && previous.isConnected) previous.focus();
    };
    // Focus is set once, when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      cancelRef.current();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = focusables(ref.current);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) {
      e.preventDefault();
      return;
    }
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div className="modal-backdrop">
      <div
        ref={ref}
        className={`modal modal-${tone}${size === 'wide' ? ' modal-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledBy}
        aria-describedby={describedBy}
        data-testid={testId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        {children}
      </div>
    </div>,
    document.body,
  );
}
