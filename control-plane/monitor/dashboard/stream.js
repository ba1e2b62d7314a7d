// The page's copy of what the monitor knows, kept up to date from /api/stream (server-sent
// events): a `snapshot` first, then `cluster` (the picture, every half second), `event` (a
// control-plane decision or observation), `conflicts` and `connection`. The shapes are those
// of control-plane/monitor/ClusterFeed.ts (FeedSnapshot, FeedMessage).

/** Events kept (as many as the monitor keeps). */
const EVENTS_KEPT = 500;
/** Chart history kept in the page, ms (the monitor sends the same window on connect). */
const HISTORY_MS = 5 * 60_000;
/**
 * How long the page waits to hear whether a refused stream was a 401. The monitor answers it
 * itself, at once; a monitor that vanished must not leave the request open until the browser
 * gives up on the connection.
 */
const REFUSAL_CHECK_TIMEOUT_MS = 5000;

/** What the page knows before its first snapshot: nothing, and that it is connecting. */
export function initialState() {
  return {
    connection: { connected: false, leaderId: '', leaderAddress: '', problem: 'connecting' },
    cluster: undefined,
    history: [],
    events: [],
    conflicts: [],
  };
}

/**
 * Opens the stream and applies each message to `state`, then calls the `show` callback for
 * the part that changed: `connection`, `cluster` (the picture and the chart history), `events`
 * or `conflicts`; all four on a snapshot.
 */
export function follow(state, show) {
  const source = new EventSource('/api/stream');
  source.addEventListener('snapshot', (m) => {
    Object.assign(state, JSON.parse(m.data));
    show.connection();
    show.cluster();
    show.conflicts();
    show.events();
  });
  source.addEventListener('cluster', (m) => {
    const { cluster, point } = JSON.parse(m.data);
    const blindBefore = state.cluster && state.cluster.blind;
    state.cluster = cluster;
    state.history.push(point);
    while (state.history.length > 0 && state.history[0].atMs < point.atMs - HISTORY_MS) state.history.shift();
    show.cluster();
    if (cluster.blind !== blindBefore) show.connection();
  });
  source.addEventListener('event', (m) => {
    const { event } = JSON.parse(m.data);
    if (state.events.some((e) => e.key === event.key)) return;
    state.events.push(event);
    state.events.sort((a, b) => a.atMs - b.atMs);
    if (state.events.length > EVENTS_KEPT) state.events.splice(0, state.events.length - EVENTS_KEPT);
    show.events();
  });
  source.addEventListener('conflicts', (m) => {
    state.conflicts = JSON.parse(m.data).conflicts;
    show.conflicts();
  });
  source.addEventListener('connection', (m) => {
    state.connection = JSON.parse(m.data).connection;
    show.connection();
  });
  // The browser reconnects by itself; the monitor sends a fresh snapshot when it does.
  source.addEventListener('error', () => {
    state.connection = { ...state.connection, connected: false, problem: 'the monitor cannot be reached; retrying' };
    show.connection();
    // A refusal (the login expired, or a restarted monitor has a new token) ends the stream for
    // good rather than retrying: back to the login form, if that is why.
    if (source.readyState === EventSource.CLOSED) {
      fetch('/api/snapshot', { method: 'HEAD', signal: AbortSignal.timeout(REFUSAL_CHECK_TIMEOUT_MS) })
        .then((res) => res.status === 401 && location.assign('/login'))
        .catch(() => undefined);
    }
  });
}
