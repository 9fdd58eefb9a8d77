/* The live view of one debate, shared by the web page and the MCP App: it renders what it is given
   (a debate, committed messages, chunks of the turn being written) and never fetches anything itself.
   All text goes in through textContent: nothing a model writes is ever parsed as HTML. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function money(x) { return "$" + Number(x || 0).toFixed(6); }

  function LiveView(root) {
    this.root = root;
    this.seen = {};
    this.lastSeq = Number(root.getAttribute("data-after-seq") || 0);
    this.state = null;
    var items = this.field("transcript").querySelectorAll("li[data-seq]");
    for (var i = 0; i < items.length; i++) this.seen[items[i].getAttribute("data-seq")] = true;
  }

  LiveView.prototype.field = function (name) {
    return this.root.querySelector('[data-field="' + name + '"]');
  };

  LiveView.prototype.message = function (m) {
    if (this.seen[m.seq]) return;
    this.seen[m.seq] = true;
    this.lastSeq = Math.max(this.lastSeq, m.seq);
    var li = el("li", "message kind-" + m.kind);
    li.setAttribute("data-seq", m.seq);
    var art = el("article");
    art.setAttribute("aria-label", m.speaker + (m.round ? ", round " + m.round : ""));
    var head = el("header");
    head.appendChild(el("strong", "speaker", m.speaker));
    var where = m.round ? "Round " + m.round + " · turn " + m.turn : "added message";
    if (m.model) where += " · " + m.provider + "/" + m.model;
    head.appendChild(document.createTextNode(" "));
    head.appendChild(el("span", "meta", where));
    art.appendChild(head);
    art.appendChild(el("p", "content", m.content));
    if (m.kind === "turn") {
      var foot = el("footer", "meta", m.input_tokens + " in + " + m.output_tokens + " out tokens · " +
        money(m.cost_usd) + " · " + (m.latency_ms / 1000).toFixed(2) + " s");
      if (m.answer) {
        foot.appendChild(document.createTextNode(" · answer: "));
        foot.appendChild(el("strong", null, m.answer));
      }
      art.appendChild(foot);
    }
    li.appendChild(art);
    this.field("transcript").appendChild(li);
    var writing = this.field("writing");
    if (writing && m.turn && Number(writing.getAttribute("data-turn")) === m.turn) {
      writing.hidden = true;
      writing.removeAttribute("data-turn");
      this.field("writing-text").textContent = "";
    }
  };

  LiveView.prototype.chunk = function (c) {
    var writing = this.field("writing");
    if (!writing) return;
    if (Number(writing.getAttribute("data-turn")) !== c.turn) {
      writing.setAttribute("data-turn", c.turn);
      this.field("writing-who").textContent = c.speaker + " is writing · Round " + c.round + " · turn " + c.turn;
      this.field("writing-text").textContent = "";
    }
    writing.hidden = false;
    this.field("writing-text").textContent += c.text;
  };

  LiveView.prototype.debate = function (d) {
    this.state = d.state;
    var state = this.field("state");
    state.textContent = d.state;
    state.className = "state state-" + d.state;
    this.set("protocol", d.protocol);
    this.set("turns", d.turns_taken + "/" + d.total_turns);
    this.set("next", d.next_speaker || "—");
    var total = d.ledger.total;
    this.set("tokens", total.input_tokens + total.output_tokens);
    this.set("cost", money(total.cost_usd));
    var name = this.root.querySelector(".debate-name");
    if (name && d.name) name.textContent = d.name;
    var topic = this.root.querySelector(".topic");
    if (topic && d.topic) topic.textContent = d.topic;
    this.ledger(d.ledger);
    this.verdict(d.verdict, d.stopped_reason);
    this.controls(d);
    if (d.last_error && d.state === "failed") this.error(d.last_error.message || "the debate failed");
  };

  LiveView.prototype.set = function (name, value) {
    var node = this.field(name);
    if (node) node.textContent = value;
  };

  LiveView.prototype.ledger = function (ledger) {
    var body = this.field("ledger");
    if (!body) return;
    body.textContent = "";
    var lines = ledger.participants.concat([ledger.summaries, ledger.total]);
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      var tr = el("tr", l.name === "total" ? "total" : null);
      var th = el("th", null, l.name);
      th.setAttribute("scope", "row");
      tr.appendChild(th);
      [l.turns, l.calls, l.input_tokens, l.output_tokens, money(l.cost_usd)].forEach(function (v) {
        tr.appendChild(el("td", null, v));
      });
      body.appendChild(tr);
    }
  };

  LiveView.prototype.verdict = function (v, stopped) {
    var section = this.field("verdict-section");
    var box = this.field("verdict");
    if (!section || !box) return;
    if (!v) { section.hidden = true; return; }
    section.hidden = false;
    box.textContent = "";
    var headline = v.answer || v.winner || (v.tied && v.tied.length ? "tie: " + v.tied.join(", ") : "no verdict");
    box.appendChild(el("p", "verdict-answer", headline));
    var how = v.method + (v.confidence !== null && v.confidence !== undefined ?
      ", confidence " + Number(v.confidence).toFixed(2) : "") + (stopped ? " · stopped: " + stopped : "");
    box.appendChild(el("p", "meta", how));
    if (v.rationale) box.appendChild(el("p", null, v.rationale));
    var votes = Object.keys(v.votes || {});
    if (votes.length) {
      var ul = el("ul", "votes");
      votes.forEach(function (k) { ul.appendChild(el("li", null, k + ": " + v.votes[k])); });
      box.appendChild(ul);
    }
    (v.dissent || []).forEach(function (d) {
      box.appendChild(el("p", "meta", "Dissent: " + d.participant + " answered " + d.answer));
    });
  };

  LiveView.prototype.controls = function (d) {
    var allowed = {
      run: d.state === "created" || (d.state === "running" && !d.run_active),
      pause: d.state === "running",
      resume: d.state === "paused" || d.state === "failed",
      cancel: d.state !== "completed" && d.state !== "cancelled"
    };
    var buttons = this.root.querySelectorAll("[data-action]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = !allowed[buttons[i].getAttribute("data-action")];
    }
    var form = this.root.querySelector('[data-form="moderate"]');
    if (form) {
      var open = d.state === "created" || d.state === "running" || d.state === "paused";
      var parts = form.querySelectorAll("textarea, button");
      for (var j = 0; j < parts.length; j++) parts[j].disabled = !open;
    }
  };

  LiveView.prototype.error = function (text) {
    var node = this.field("error");
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  };

  LiveView.errorText = function (body, fallback) {
    var e = body && body.error;
    if (!e) return fallback;
    return e.message + (e.field ? " (" + e.field + ")" : "");
  };

  window.DebateLive = LiveView;
})();
