// Live events over /ws. Reconnects by itself and resumes from the last event id it saw, so a network
// drop loses nothing: the server replays what was missed.
// `since`: the event id of the data the page has just loaded, so that nothing between that snapshot and
// the connection is missed. When more was missed than the server replays (a laptop asleep for a day), it
// sends `resync`: the page must load its data again (`onResync`; by default the page reloads). When the session
// has ended the page goes to the sign-in page, or calls `onSignedOut`.
export function connectLive(onEvent, { onStatus, onResync, onSignedOut, since: snapshot } = {}) {
  const key = `gridops.live.${location.pathname}`;
  let last = snapshot !== undefined && snapshot !== null ? String(snapshot) : sessionStorage.getItem(key);
  let socket = null;
  let delay = 500;
  let closed = false;

  function open() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const since = last ? `?since=${last}` : "";
    socket = new WebSocket(`${proto}://${location.host}/ws${since}`);
    socket.onopen = () => { delay = 500; onStatus?.("online"); };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.kind === "hello") {
        if (!last) { last = String(event.last_id); sessionStorage.setItem(key, last); }
        return;
      }
      if (event.kind === "resync") {
        last = String(event.last_id);
        sessionStorage.setItem(key, last);
        (onResync ?? (() => location.reload()))();
        return;
      }
      last = String(event.id);
      sessionStorage.setItem(key, last);
      onEvent(event);
    };
    socket.onclose = (event) => {
      onStatus?.("offline");
      if (event.code === 4401) { // signed out, expired or deactivated
        (onSignedOut ?? (() => { location.href = "/login"; }))();
        return;
      }
      if (event.code === 4403) return; // not allowed: trying again will not help
      if (!closed) setTimeout(open, delay = Math.min(delay * 2, 10000));
    };
  }
  open();
  return { close() { closed = true; socket?.close(); } };
}
