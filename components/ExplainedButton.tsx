"use client";
/**
 * A button that, when it cannot be used, says why: on hover and on keyboard focus (a tooltip),
 * and to screen readers (its description). It stays focusable (aria-disabled, not disabled), so
 * a keyboard user can reach it and read the reason; clicks do nothing then.
 */
import * as Tooltip from "@radix-ui/react-tooltip";
import { useId, type ButtonHTMLAttributes, type ReactNode } from "react";
import "./tooltip.css";

export function ExplainedButton({
  reason,
  onClick,
  children,
  ...rest
}: { reason: string | undefined; children: ReactNode } & Omit<ButtonHTMLAttributes<HTMLButtonElement>, "disabled">) {
  const id = useId();
  const button = (
    <button
      type="button"
      {...rest}
      aria-disabled={reason ? true : undefined}
      aria-describedby={reason ? `${id}-why` : rest["aria-describedby"]}
      onClick={(e) => {
        if (reason) e.preventDefault();
        else onClick?.(e);
      }}
    >
      {children}
    </button>
  );
  if (!reason) return button;
  return (
    <Tooltip.Provider delayDuration={300}>
      <Tooltip.Root>
        <Tooltip.Trigger asChild>{button}</Tooltip.Trigger>
        <Tooltip.Portal>
          <Tooltip.Content className="tooltip" side="bottom" align="end" sideOffset={6} collisionPadding={8}>
            {reason}
          </Tooltip.Content>
        </Tooltip.Portal>
      </Tooltip.Root>
      <span id={`${id}-why`} className="visually-hidden">
        {reason}
      </span>
    </Tooltip.Provider>
  );
}
