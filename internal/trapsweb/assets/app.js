// The /traps page's script, served from the binary (the page's
// Content-Security-Policy allows no other). It refreshes the records every
// 5 s unless paused, keeping open rows open and marking new ones; the pause
// is kept in the URL (paused=1), so a paused view can be shared and
// survives the filter form. The page works without it, but for the refresh.
// The status element counts the periods (data-ticks) and the refreshes
// (data-refreshes), so that a test can see a paused page stay still.
(function () {
  'use strict';
  var PERIOD_MS = 5000;
  var button = document.getElementById('pause');
  var status = document.getElementById('status');
  var hidden = document.getElementById('paused');
  if (!button || !status || !hidden) {
    return;
  }
  var paused = new URLSearchParams(location.search).get('paused') === '1';

  function show() {
    button.textContent = paused ? 'Resume' : 'Pause';
    button.setAttribute('aria-pressed', paused ? 'true' : 'false');
    hidden.disabled = !paused;
    status.textContent = paused ? 'Paused' : 'Refreshing every ' + PERIOD_MS / 1000 + ' s';
    // The tabs and the Clear link keep the pause too.
    document.querySelectorAll('nav a, a.clear').forEach(function (a) {
      var u = new URL(a.href);
      if (paused) {
        u.searchParams.set('paused', '1');
      } else {
        u.searchParams.delete('paused');
      }
      a.href = u.toString();
    });
  }

  button.addEventListener('click', function () {
    paused = !paused;
    var u = new URL(location.href);
    if (paused) {
      u.searchParams.set('paused', '1');
    } else {
      u.searchParams.delete('paused');
    }
    history.replaceState(null, '', u.toString());
    show();
  });

  function newest(root) {
    var max = 0;
    root.querySelectorAll('[data-seq]').forEach(function (el) {
      max = Math.max(max, Number(el.dataset.seq) || 0);
    });
    return max;
  }

  var busy = false;
  var ticks = 0;
  var refreshes = 0;
  function refresh() {
    status.dataset.ticks = String(++ticks);
    if (paused || busy || document.hidden) {
      return;
    }
    busy = true;
    fetch(location.href, { headers: { Accept: 'text/html' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error('HTTP ' + resp.status);
        }
        return resp.text();
      })
      .then(function (text) {
        // The answer is parsed into an inert document (its scripts never
        // run) and its records moved into this one; the server escaped
        // every value in them.
        var doc = new DOMParser().parseFromString(text, 'text/html');
        var fresh = doc.getElementById('records');
        var current = document.getElementById('records');
        if (!fresh || !current) {
          throw new Error('no records in the answer');
        }
        if (paused) {
          return; // paused while the answer came
        }
        var seen = newest(current);
        var open = {};
        current.querySelectorAll('details[open]').forEach(function (d) {
          open[d.id] = true;
        });
        fresh.querySelectorAll('[data-seq]').forEach(function (el) {
          if (el.tagName === 'DETAILS' && open[el.id]) {
            el.open = true;
          }
          if (seen > 0 && Number(el.dataset.seq) > seen) {
            el.classList.add('new');
          }
        });
        current.replaceWith(document.adoptNode(fresh));
        status.dataset.refreshes = String(++refreshes);
        status.textContent = 'Refreshing every ' + PERIOD_MS / 1000 + ' s · updated ' + new Date().toLocaleTimeString();
      })
      .catch(function (err) {
        status.textContent = 'Refresh failed: ' + err.message;
      })
      .finally(function () {
        busy = false;
      });
  }

  button.hidden = false;
  show();
  setInterval(refresh, PERIOD_MS);
})();
