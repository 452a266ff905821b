// The page's side of offline use (README, "Offline and installing"). index.html loads this
// file once the app has drawn its first page (the `mailroom-started` event, src/lib.rs),
// and only where service workers exist (not, for instance,
// on a page served over plain http from another computer), so it costs the first load
// nothing and never competes with it.
//
// It registers the service worker (sw.js, made from web/sw.js), asks it which version it is
// whenever one takes control of the page (data-version on the notice's slot), and when that
// version is not the one of the last visit, says so: "Mailroom was updated.", in a polite
// live region at the bottom left, until dismissed.

const sw = navigator.serviceWorker;
const KEY = 'mailroom.version';

// The live region is there before anything is said in it, so that it is read out. (Not in
// index.html: the app clears the body when it starts.)
const slot = document.createElement('div');
slot.className = 'update-slot';
slot.dataset.testid = 'update-slot';
slot.setAttribute('role', 'status');
document.body.append(slot);

sw.addEventListener('message', ({ data: version }) => {
  let last = null;
  try {
    last = localStorage.getItem(KEY);
    localStorage.setItem(KEY, version);
  } catch {
    // No localStorage (a private mode, a sandboxed frame): nothing to compare with.
  }
  if (last && last !== version) say('Mailroom was updated.');
  slot.dataset.version = version;
});

function say(text) {
  const notice = document.createElement('p');
  notice.className = 'notice';
  notice.dataset.testid = 'update-notice';
  const words = document.createElement('span');
  words.textContent = text;
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.className = 'notice-close';
  dismiss.title = 'Dismiss';
  dismiss.setAttribute('aria-label', 'Dismiss this notice');
  dismiss.textContent = '×';
  dismiss.addEventListener('click', () => notice.remove());
  notice.append(words, dismiss);
  slot.replaceChildren(notice);
}

// A page that is already controlled asks now; a first visit (or a new version taking over,
// sw.js's skipWaiting) asks when the service worker takes control.
const ask = () => sw.controller?.postMessage('version');
sw.addEventListener('controllerchange', ask);
sw.startMessages(); // the answers, even if the page is still loading
ask();
sw.register('/sw.js').catch(() => {
  // No service worker (blocked, or no sw.js as under `trunk serve`): the app works as before.
});
