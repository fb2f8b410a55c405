// Turning API values (states, ms timestamps, SimpleDurations, products) into words for people.

export const STATES = ["IN_QUEUE", "RUNNING", "CANCELING", "SUCCESS", "FAILURE", "EXPIRED"];

const STATE_LABELS = {
  IN_QUEUE: "In queue",
  RUNNING: "Running",
  CANCELING: "Canceling",
  SUCCESS: "Success",
  FAILURE: "Failure",
  EXPIRED: "Expired",
};

const FINAL = new Set(["SUCCESS", "FAILURE", "EXPIRED"]);

export function stateLabel(state) {
  return STATE_LABELS[state] ?? state ?? "Unknown";
}

export function isFinal(state) {
  return FINAL.has(state);
}

const pad = (n) => String(n).padStart(2, "0");

/** 5400000 -> "1 h 30 min", 95000 -> "1 min 35 s", 4000 -> "4 s". */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${pad(minutes)} min`;
  if (minutes > 0) return `${minutes} min ${pad(seconds)} s`;
  return `${seconds} s`;
}

/** {hours: 1, minutes: 30, seconds: 0} -> "1 h 30 min". */
export function formatSimpleDuration(duration) {
  if (!duration) return "No limit";
  const parts = [];
  if (duration.hours) parts.push(`${duration.hours} h`);
  if (duration.minutes) parts.push(`${duration.minutes} min`);
  if (duration.seconds) parts.push(`${duration.seconds} s`);
  return parts.join(" ") || "0 s";
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const clock = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});
const dayAndClock = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

export function formatDateTime(ms) {
  return ms == null ? "—" : dateTime.format(new Date(ms));
}

export function formatClock(ms) {
  return ms == null ? "—" : clock.format(new Date(ms));
}

/** "just now", "4 min ago", "3 h ago", then the date. */
export function formatRelative(ms, now = Date.now()) {
  if (ms == null) return "—";
  const ago = Math.max(0, now - ms);
  if (ago < 45_000) return "just now";
  if (ago < 3_600_000) return `${Math.round(ago / 60_000)} min ago`;
  if (ago < 86_400_000) return `${Math.round(ago / 3_600_000)} h ago`;
  return dayAndClock.format(new Date(ms));
}

/** A moment near now: the time of day, with the date when it is not today. */
export function formatWhen(ms, now = Date.now()) {
  if (ms == null) return "—";
  const sameDay = new Date(ms).toDateString() === new Date(now).toDateString();
  return sameDay ? formatClock(ms) : formatDateTime(ms);
}

export function jobTitle(job) {
  return job.specification?.name || `Job ${job.id}`;
}

/** What is left of a job's time: {text, urgent}. */
export function timeLeft(job, now = Date.now()) {
  const { state, expiresAt } = job.status;
  if (isFinal(state)) return { text: "Ended", urgent: false };
  if (expiresAt != null) {
    const left = expiresAt - now;
    return { text: formatDuration(left), urgent: left < 5 * 60_000 };
  }
  const allocation = job.specification.timeAllocation;
  if (allocation && state === "IN_QUEUE") {
    return { text: `${formatSimpleDuration(allocation)} once started`, urgent: false };
  }
  return { text: allocation ? "—" : "No limit", urgent: false };
}

/** "1 vCPU · 1 GiB memory" (+ GPUs when there are any). */
export function productSpecs(product) {
  if (!product) return "";
  const parts = [];
  if (product.cpu != null) parts.push(`${product.cpu} vCPU`);
  if (product.memoryInGigs != null) parts.push(`${product.memoryInGigs} GiB memory`);
  if (product.gpu) parts.push(`${product.gpu} GPU`);
  return parts.join(" · ");
}

export function applicationLabel(app) {
  return `${app.metadata.title || app.metadata.name} ${app.metadata.version}`;
}

/** 0 -> "0 B", 1536 -> "1.5 KiB", 1073741824 -> "1.0 GiB". */
export function formatBytes(bytes) {
  if (bytes == null) return "—";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
