// The public Orchid API, as every other client sees it: bearer token, JSON, {"why", "errorCode"}.

const TOKEN_KEY = "orchid.token";

/** The signed-in token, kept for this browser tab only (sessionStorage). */
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An answer other than 2xx: `why` is the server's sentence, `errorCode` its stable code. */
export class ApiError extends Error {
  constructor(status, why, errorCode) {
    super(why);
    this.status = status;
    this.why = why;
    this.errorCode = errorCode;
  }
}

/** Fired on window when the server rejects the session's token (it was revoked, or the server's
 * data directory changed): the app then asks the user to sign in again. */
export const UNAUTHORIZED_EVENT = "orchid:unauthorized";

/** One API call: resolves to the JSON answer, or throws ApiError with the server's `why`. */
export async function call(method, path, { query, body, token = session.token, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      signal,
      headers: {
        Authorization: `Bearer ${token ?? ""}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "Orchid cannot be reached. Is the server running?", "NETWORK");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      data?.why ?? `The server answered ${response.status} ${response.statusText}`,
      data?.errorCode ?? null,
    );
    if (response.status === 401 && token === session.token) {
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    }
    throw error;
  }
  return data;
}

/** Every item of a PageV2 listing, following `next`. */
async function allPages(path, query, options) {
  const items = [];
  let next = null;
  do {
    const page = await call("GET", path, { ...options, query: { ...query, itemsPerPage: 250, next } });
    items.push(...page.items);
    next = page.next;
  } while (next);
  return items;
}

/** Whether `token` is accepted (a cheap authenticated call). Throws ApiError(401) when it is not. */
export async function checkToken(token) {
  await call("GET", "/api/jobs/browse", { query: { itemsPerPage: 1 }, token });
}

export function browseJobs({ itemsPerPage, next, state, application }, options) {
  return call("GET", "/api/jobs/browse", {
    ...options,
    query: { itemsPerPage, next, filterState: state, filterApplication: application },
  });
}

export function retrieveJob(id, options) {
  return call("GET", "/api/jobs/retrieve", {
    ...options,
    query: { id, includeProduct: true, includeApplication: true },
  });
}

/** Submit one job; resolves to its id. */
export async function createJob(specification) {
  const answer = await call("POST", "/api/jobs", { body: { items: [specification] } });
  return answer.responses[0].id;
}

export function extendJob(jobId, requestedTime) {
  return call("POST", "/api/jobs/extend", { body: { items: [{ jobId, requestedTime }] } });
}

export function terminateJob(id) {
  return call("POST", "/api/jobs/terminate", { body: { items: [{ id }] } });
}

/** jobs.openInteractiveSession for one rank: an OpenSessionWithProvider. */
export async function openSession(id, rank, sessionType, options) {
  const body = { items: [{ id, rank, sessionType }] };
  const response = await call("POST", "/api/jobs/interactiveSession", { body, ...options });
  return response.responses[0];
}

export function browseApplications(options) {
  return allPages("/api/hpc/apps/browse", {}, options);
}

export function browseProducts(options) {
  return allPages("/api/products/browse", {}, options);
}
