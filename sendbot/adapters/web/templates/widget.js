/* The SEND chat widget: paste <script src="https://CHAT-HOST/widget.js" defer></script>. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src).origin;
  var labels = { open: {{ open_label|tojson }}, close: {{ close_label|tojson }}, frame: {{ frame_title|tojson }} };
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = labels.open;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "sendbot-chat-panel");
  var s = button.style;
  s.position = "fixed"; s.right = "16px"; s.bottom = "16px"; s.zIndex = "2147483000";
  s.minHeight = "44px"; s.minWidth = "44px"; s.padding = "10px 16px"; s.font = "inherit";
  s.background = "#1d4f91"; s.color = "#fff"; s.border = "2px solid #fff"; s.borderRadius = "8px";
  var panel = document.createElement("div");
  panel.id = "sendbot-chat-panel";
  panel.hidden = true;
  var p = panel.style;
  p.position = "fixed"; p.right = "16px"; p.bottom = "72px"; p.zIndex = "2147483000";
  p.width = "min(400px, calc(100vw - 32px))"; p.height = "min(600px, calc(100vh - 96px))";
  p.border = "2px solid #1d4f91"; p.borderRadius = "8px"; p.background = "#fff";
  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = labels.frame;
      frame.src = origin + "/chat?embed=1";
      frame.style.width = "100%"; frame.style.height = "100%"; frame.style.border = "0";
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.textContent = labels.close;
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }
  function close() {
    panel.hidden = true;
    button.textContent = labels.open;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  button.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { close(); }
  });
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data === "sendbot:close" && !panel.hidden) { close(); }
  });
  document.body.appendChild(panel);
  document.body.appendChild(button);
})();
