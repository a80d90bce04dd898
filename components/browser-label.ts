/** A short, readable name for the browser behind a User-Agent header (My account > Sessions). */

/** Checked in order: Edge and Chrome name Safari too, Chrome names itself in Edge. */
const BROWSERS: [RegExp, string][] = [
  [/Edg\/(\d+)/, "Edge"],
  [/Firefox\/(\d+)/, "Firefox"],
  [/Chrom(?:e|ium)\/(\d+)/, "Chrome"],
  [/Version\/(\d+).*Safari\//, "Safari"],
];
const SYSTEMS: [RegExp, string][] = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/Linux|X11/, "Linux"],
];

/** "Firefox 140 on Linux" from a User-Agent header; the header itself when nothing is known. */
export function browserLabel(agent: string | undefined): string {
  if (!agent) return "Unknown browser";
  let browser: string | undefined;
  for (const [re, name] of BROWSERS) {
    const m = re.exec(agent);
    if (m) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  const os = SYSTEMS.find(([re]) => re.test(agent))?.[1];
  if (!browser) return agent.length > 60 ? `${agent.slice(0, 57)}…` : agent;
  return os ? `${browser} on ${os}` : browser;
}
