// @ts-check
// Building the page from data without ever parsing API text as HTML.

/**
 * Create an element. `props` sets properties (className, textContent, hidden, value...) except:
 * `attrs` (attributes), `on` (event listeners) and `dataset`. Children are nodes or strings
 * (strings become text nodes); null/false children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "attrs") {
      for (const [name, attr] of Object.entries(value)) {
        if (attr !== undefined && attr !== null && attr !== false) element.setAttribute(name, attr === true ? "" : String(attr));
      }
    } else if (key === "on") {
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element[key] = value;
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";
// 24x24 outline paths; the icons inherit the text colour.
const ICONS = {
  heart: "M12 21s-7.5-4.6-9.6-9.2C.9 8.5 2.7 4.5 6.6 4.5c2.2 0 3.9 1.3 5.4 3.2 1.5-1.9 3.2-3.2 5.4-3.2 3.9 0 5.7 4 4.2 7.3C19.5 16.4 12 21 12 21z",
  flame: "M12 2c1 3.5 5 5.8 5 11a5 5 0 0 1-10 0c0-2.6 1.3-4.2 2.5-5.5.2 1.8 1 2.9 2 3.3C11 8 11.5 5 12 2z",
  bell: "M12 22a2.5 2.5 0 0 0 2.4-2h-4.8a2.5 2.5 0 0 0 2.4 2zm7-6V11a7 7 0 0 0-5.5-6.8V3a1.5 1.5 0 0 0-3 0v1.2A7 7 0 0 0 5 11v5l-2 2v1h18v-1z",
  copy: "M8 3h10a2 2 0 0 1 2 2v12h-2V5H8zM4 7h10a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2zm0 2v11h10V9z",
  warning: "M12 2 1 21h22zm0 5 7.5 12h-15zm-1 4v4h2v-4zm0 5v2h2v-2z",
  check: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
  cross: "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z",
  question: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2zm2.1-7.8-.9.9c-.7.7-1.2 1.3-1.2 2.9h-2v-.5c0-1.1.5-2.1 1.2-2.8l1.2-1.3A2 2 0 0 0 12 7a2 2 0 0 0-2 2H8a4 4 0 0 1 8 0c0 .9-.4 1.6-.9 2.2z",
  clock: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7z",
};

/**
 * An inline SVG icon; `label` makes it an image with a name, otherwise it is decorative.
 * @param {string} name
 * @param {{ label?: string, filled?: boolean, className?: string }} [options]
 */
export function icon(name, { label, filled = false, className = "" } = {}) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon-${name}${filled ? " filled" : ""} ${className}`.trim());
  if (label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    const title = document.createElementNS(SVG_NS, "title");
    title.textContent = label;
    svg.append(title);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

let announcer;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let announceTimer;
/** Say something to screen readers and show it briefly (copy confirmations, saved settings). */
export function announce(text) {
  announcer ??= document.getElementById("toast");
  if (!announcer) return;
  announcer.textContent = text;
  announcer.hidden = false;
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { announcer.hidden = true; }, 2500);
}
