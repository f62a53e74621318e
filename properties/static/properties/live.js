// The back office's live updates: listens on /ws/events/ with the admin session (staff only) and
// shows the "new results" bar when a QC result, a review or a status change arrives, for the
// property of the page (#live-events[data-property-id]) or for any property on the queue.
"use strict";
(function () {
  var RELEVANT = ["photo.qc_completed", "photo.reviewed", "property.status_changed"];
  var MESSAGES = {
    "photo.qc_completed": "New QC results",
    "photo.reviewed": "A photo was reviewed",
    "property.status_changed": "A status changed",
  };
  // The server refuses for good with these: not staff, or a foreign origin.
  var FINAL_CLOSE_CODES = [4401, 4403];

  function start(bar) {
    var propertyId = bar.dataset.propertyId || "";
    var message = bar.querySelector(".live-message");
    var count = 0;
    var delay = 1000;
    bar.querySelector(".live-reload").addEventListener("click", function () {
      window.location.reload();
    });

    function show(event) {
      count += 1;
      var what = MESSAGES[event.type] || "New results";
      message.textContent =
        what + (count > 1 ? " (" + count + " updates)" : "") + " — reload to see them.";
      bar.dataset.lastEvent = event.type;
      bar.dataset.count = String(count);
      bar.hidden = false;
    }

    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
      socket.addEventListener("open", function () {
        bar.dataset.state = "connected";
        delay = 1000;
      });
      socket.addEventListener("message", function (message) {
        var event;
        try {
          event = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (RELEVANT.indexOf(event.type) === -1) return;
        if (propertyId && event.property_id !== propertyId) return;
        show(event);
      });
      socket.addEventListener("close", function (close) {
        bar.dataset.state = "closed";
        if (FINAL_CLOSE_CODES.indexOf(close.code) !== -1) return;
        // Reconnects with a growing pause: a restarting server is not hammered.
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      });
    }
    connect();
  }

  function ready() {
    var bar = document.getElementById("live-events");
    if (bar && "WebSocket" in window) start(bar);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
