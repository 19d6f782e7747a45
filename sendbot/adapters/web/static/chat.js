/* The SEND chat page: sends messages and presses without reloading, shows replies live. */
(function () {
  "use strict";
  var log = document.getElementById("log");
  var composer = document.getElementById("composer");
  var box = document.getElementById("message");
  var sendButton = document.getElementById("send");
  var status = document.getElementById("status");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var words = composer.dataset;
  var seen = {};
  var lastId = parseInt(log.dataset.lastId || "0", 10);
  var reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Array.prototype.forEach.call(log.querySelectorAll(".msg"), function (node) {
    seen[node.dataset.id] = true;
  });

  function hiddenCsrf() {
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "csrf"; input.value = csrf;
    return input;
  }

  function formButton(action, cls, label, name, value) {
    var form = document.createElement("form");
    form.method = "post"; form.action = action; form.className = cls;
    form.appendChild(hiddenCsrf());
    var button = document.createElement("button");
    button.type = "submit"; button.textContent = label;
    if (name) { button.name = name; button.value = value; }
    form.appendChild(button);
    return form;
  }

  function render(m) {
    var node = document.createElement("div");
    node.className = "msg msg-" + (m.who === "you" ? "you" : "bot");
    node.dataset.id = String(m.id);
    var who = document.createElement("p");
    who.className = "who";
    who.textContent = m.who === "you" ? words.you : words.bot;
    node.appendChild(who);
    var body = document.createElement("div");
    body.className = "body";
    body.innerHTML = m.html; /* cleaned by the server: allowed tags only, text escaped */
    node.appendChild(body);
    m.buttons.forEach(function (row) {
      var line = document.createElement("div");
      line.className = "buttons";
      row.forEach(function (b) {
        if (b.url) {
          var link = document.createElement("a");
          link.className = "button"; link.href = b.url; link.textContent = b.label;
          link.target = "_blank"; link.rel = "noopener noreferrer";
          line.appendChild(link);
        } else {
          line.appendChild(formButton("/chat/press", "press", b.label, "data", b.data));
        }
      });
      node.appendChild(line);
    });
    if (m.file) {
      var fileWrap = document.createElement("div");
      fileWrap.className = "buttons";
      fileWrap.appendChild(formButton("/chat/file", "download", words.downloadFile, "data", m.file));
      node.appendChild(fileWrap);
    }
    if (m.download) {
      var wrap = document.createElement("div");
      wrap.className = "buttons";
      wrap.appendChild(formButton("/mydata", "download", words.download));
      node.appendChild(wrap);
    }
    return node;
  }

  function show(messages) {
    var start = log.querySelector("form.start");
    if (start && messages.length) { start.remove(); }
    messages.forEach(function (m) {
      if (m.id && seen[m.id]) { return; }
      if (m.id) { seen[m.id] = true; lastId = Math.max(lastId, m.id); }
      log.appendChild(render(m));
    });
    log.scrollTo({ top: log.scrollHeight, behavior: reduced ? "auto" : "smooth" });
  }

  function post(path, payload) {
    sendButton.disabled = true;
    status.textContent = words.sending;
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || words.network); }
        status.textContent = "";
        show(data.messages);
        return true;
      });
    }).catch(function (error) {
      status.textContent = error.message && error.message !== "Failed to fetch" ? error.message : words.network;
      return false;
    }).finally(function () { sendButton.disabled = false; });
  }

  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value;
    if (!text.trim()) { box.focus(); return; }
    post("/chat/send", { text: text }).then(function (ok) { if (ok) { box.value = ""; } box.focus(); });
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  log.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("press")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (form.classList.contains("start")) { post("/chat/send", { text: "/start" }); return; }
    post("/chat/press", { data: button.value });
  });

  var clear = document.querySelector("form.clear");
  clear.addEventListener("submit", function (event) {
    if (!window.confirm(clear.dataset.confirm)) { event.preventDefault(); }
  });

  if (document.body.classList.contains("embed") && window.parent !== window) {
    /* In the widget's panel: Escape asks the council's page to close the panel. */
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { window.parent.postMessage("sendbot:close", "*"); }
    });
  }

  function listen() {
    if (window.EventSource) {
      var source = new EventSource("/api/events?after=" + lastId);
      source.addEventListener("message", function (event) { show([JSON.parse(event.data)]); });
      return;
    }
    window.setInterval(function () {
      fetch("/api/history?after=" + lastId, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (data.messages) { show(data.messages); } });
    }, 3000);
  }

  if (!log.querySelector(".msg")) {
    post("/chat/send", { text: "/start" }).then(listen);
  } else {
    log.scrollTop = log.scrollHeight;
    listen();
  }
})();
