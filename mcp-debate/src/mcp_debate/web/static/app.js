/* The MCP App side of the live view: JSON-RPC over postMessage with the host (MCP Apps, 2026-01-26).
   The app never opens a connection of its own: it asks the host to call tools and read resources on the
   server it came from. It learns the debate from the tool result the host hands it, then follows it
   with watch_debate (which waits for the next change) until the debate ends. */
(function () {
  "use strict";
  var live = new window.DebateLive(document.getElementById("live"));
  var nextId = 1;
  var pending = {};
  var debateId = null;
  var following = false;

  function send(message) { window.parent.postMessage(message, "*"); }

  function request(method, params) {
    var id = nextId++;
    send({ jsonrpc: "2.0", id: id, method: method, params: params || {} });
    return new Promise(function (resolve, reject) { pending[id] = { resolve: resolve, reject: reject }; });
  }

  function notify(method, params) { send({ jsonrpc: "2.0", method: method, params: params || {} }); }

  function tool(name, args) {
    return request("tools/call", { name: name, arguments: args }).then(function (result) {
      var body = result.structuredContent;
      if (!body && result.content && result.content[0]) {
        try { body = JSON.parse(result.content[0].text); } catch (e) { body = null; }
      }
      if (result.isError) throw new Error(window.DebateLive.errorText(body, "the tool call failed"));
      return body;
    });
  }

  function show(view) {
    var waiting = document.querySelector('[data-field="waiting"]');
    if (waiting) waiting.removeAttribute("data-field");
    live.debate(view);
  }

  function follow() {
    if (following || !debateId) return;
    following = true;
    (function loop() {
      tool("watch_debate", { debate_id: debateId, after_seq: live.lastSeq }).then(function (r) {
        r.messages.forEach(function (m) { live.message(m); });
        show(r.debate);
        if (r.debate.state === "completed" || r.debate.state === "cancelled") { following = false; return; }
        loop();
      }).catch(function (err) { live.error(err.message); following = false; });
    })();
  }

  function open(id) {
    if (!id || id === debateId) return;
    debateId = id;
    tool("get_debate", { debate_id: id }).then(show).then(function () {
      return request("resources/read", { uri: "debates://" + id + "/messages" });
    }).then(function (read) {
      var page = JSON.parse(read.contents[0].text);
      page.messages.forEach(function (m) { live.message(m); });
      follow();
    }).catch(function (err) { live.error(err.message); });
  }

  function fromResult(result) {
    var body = result && result.structuredContent;
    if (!body) return;
    open(body.debate_id || body.id);
  }

  function act(name, extra) {
    live.error("");
    var args = { debate_id: debateId };
    for (var k in extra || {}) args[k] = extra[k];
    return tool(name, args).then(function (r) {
      if (r && r.ledger) show(r);
      follow();
      return r;
    }).catch(function (err) { live.error(err.message); });
  }

  document.addEventListener("click", function (e) {
    var action = e.target.closest("[data-action]");
    if (action && debateId) {
      var name = action.getAttribute("data-action");
      if (name === "run") act("run_debate", { wait: false });
      else act(name + "_debate");
    }
    var exp = e.target.closest("[data-export]");
    if (exp && debateId) {
      tool("export_debate", { debate_id: debateId, format: exp.getAttribute("data-export") }).then(function (r) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(new Blob([r.content], { type: r.media_type }));
        link.download = r.filename;
        link.click();
      }).catch(function (err) { live.error(err.message); });
    }
  });
  var form = document.querySelector('[data-form="moderate"]');
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    act("add_message", { content: form.elements.content.value }).then(function (m) {
      if (m && m.seq) { live.message(m); form.elements.content.value = ""; }
    });
  });

  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || msg.jsonrpc !== "2.0") return;
    if (msg.id !== undefined && pending[msg.id] && !msg.method) {
      var waiter = pending[msg.id];
      delete pending[msg.id];
      if (msg.error) waiter.reject(new Error(msg.error.message || "request failed"));
      else waiter.resolve(msg.result);
      return;
    }
    if (msg.method === "ui/notifications/tool-result") fromResult(msg.params);
    else if (msg.method === "ui/notifications/tool-input" && msg.params && msg.params.arguments) {
      open(msg.params.arguments.debate_id);
    } else if (msg.method === "ui/resource-teardown" && msg.id !== undefined) {
      send({ jsonrpc: "2.0", id: msg.id, result: {} });
    } else if (msg.method === "ping" && msg.id !== undefined) {
      send({ jsonrpc: "2.0", id: msg.id, result: {} });
    }
  });

  request("ui/initialize", {
    appInfo: { name: "mcp-debate live view", version: "1" },
    appCapabilities: { availableDisplayModes: ["inline", "fullscreen"] },
    protocolVersion: "2026-01-26"
  }).then(function () {
    notify("ui/notifications/initialized");
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        notify("ui/notifications/size-changed", {
          width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight
        });
      }).observe(document.body);
    }
  });
})();
