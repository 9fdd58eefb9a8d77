/* The web page: the start form and the live list on /, and the live view on /watch/{id}, fed by the
   service's own event streams (EventSource) and steered through its plain HTTP tools. The session
   cookie set at sign-in authenticates every request; no key is ever held by this script. */
(function () {
  "use strict";

  function call(tool, args) {
    return fetch("/tools/" + tool, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(args)
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(window.DebateLive.errorText(body, "HTTP " + r.status));
        return body;
      });
    });
  }

  function watchDebate(root) {
    var live = new window.DebateLive(root);
    var id = root.getAttribute("data-debate-id");
    var initial = document.getElementById("initial-debate");
    if (initial) live.debate(JSON.parse(initial.textContent));
    var source = null;

    function follow() {
      if (source) source.close();
      source = new EventSource("/debates/" + encodeURIComponent(id) + "/events?after_seq=" + live.lastSeq);
      source.addEventListener("message", function (e) { live.message(JSON.parse(e.data)); });
      source.addEventListener("chunk", function (e) { live.chunk(JSON.parse(e.data)); });
      source.addEventListener("debate", function (e) { live.debate(JSON.parse(e.data)); });
      source.addEventListener("end", function () { source.close(); source = null; });
    }

    function act(tool, args) {
      live.error("");
      return call(tool, args).then(function (result) {
        if (result && result.ledger) live.debate(result);
        if (!source) follow();  // a finished debate's stream was closed; an added message reopens it
        return result;
      }).catch(function (err) { live.error(err.message); });
    }

    var actions = {
      run: function () { return act("run_debate", { debate_id: id, wait: false }); },
      pause: function () { return act("pause_debate", { debate_id: id }); },
      resume: function () { return act("resume_debate", { debate_id: id }); },
      cancel: function () {
        if (window.confirm("Cancel this debate for good?")) return act("cancel_debate", { debate_id: id });
      }
    };
    root.addEventListener("click", function (e) {
      var button = e.target.closest("[data-action]");
      if (button && actions[button.getAttribute("data-action")]) actions[button.getAttribute("data-action")]();
    });
    var form = root.querySelector('[data-form="moderate"]');
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = form.elements.content;
      act("add_message", { debate_id: id, content: text.value }).then(function (m) {
        if (m && m.seq) { live.message(m); text.value = ""; }
      });
    });
    follow();
  }

  function participantsOf(form) {
    var out = [];
    var rows = form.querySelectorAll("li.participant");
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var value = function (n) { return r.querySelector('[name="' + n + '"]').value.trim(); };
      var p = { name: value("p-name"), role: value("p-role"), llm_config: { provider: value("p-provider") } };
      if (value("p-model")) p.llm_config.model = value("p-model");
      if (value("p-stance")) p.stance = value("p-stance");
      out.push(p);
    }
    return out;
  }

  function startForm(form) {
    var list = form.querySelector("#participants");
    var error = document.getElementById("start-error");
    form.querySelector("#add-participant").addEventListener("click", function () {
      var last = list.lastElementChild;
      var copy = last.cloneNode(true);
      var name = copy.querySelector('[name="p-name"]');
      name.value = "Participant " + (list.children.length + 1);
      copy.querySelector('[name="p-stance"]').value = "";
      list.appendChild(copy);
      name.focus();
    });
    list.addEventListener("click", function (e) {
      if (e.target.classList.contains("remove") && list.children.length > 1) {
        e.target.closest("li").remove();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      error.hidden = true;
      var topic = form.elements.topic.value.trim();
      var args = {
        name: form.elements.name.value.trim() || topic.slice(0, 200),
        topic: topic,
        protocol: form.elements.protocol.value,
        max_rounds: Number(form.elements.rounds.value),
        participants: participantsOf(form)
      };
      if (form.elements.budget.value) args.budget_usd = Number(form.elements.budget.value);
      var button = document.getElementById("start-button");
      button.disabled = true;
      call("create_debate", args).then(function (debate) {
        return call("run_debate", { debate_id: debate.id, wait: false }).then(function () {
          window.location.assign("/watch/" + encodeURIComponent(debate.id));
        });
      }).catch(function (err) {
        error.textContent = err.message;
        error.hidden = false;
        button.disabled = false;
        error.focus && error.focus();
      });
    });
  }

  function followList(table) {
    var body = table.tBodies[0];
    var source = new EventSource("/debates/events");
    source.addEventListener("debate", function (e) {
      var row = JSON.parse(e.data);
      var tr = body.querySelector('tr[data-id="' + row.id + '"]');
      if (!tr) {
        var empty = body.querySelector("tr.empty");
        if (empty) empty.remove();
        tr = document.createElement("tr");
        tr.setAttribute("data-id", row.id);
        for (var i = 0; i < 7; i++) tr.appendChild(document.createElement("td"));
        var a = document.createElement("a");
        a.href = "/watch/" + encodeURIComponent(row.id);
        tr.cells[0].appendChild(a);
        body.insertBefore(tr, body.firstChild);
      }
      tr.cells[0].firstChild.textContent = row.name;
      tr.cells[1].textContent = "";
      var badge = document.createElement("span");
      badge.className = "state state-" + row.state;
      badge.textContent = row.state;
      tr.cells[1].appendChild(badge);
      tr.cells[2].textContent = row.protocol;
      tr.cells[3].textContent = row.participants.map(function (p) {
        return p.name + " (" + p.provider + "/" + p.model + (p.role !== "debater" ? ", " + p.role : "") + ")";
      }).join(", ");
      tr.cells[4].textContent = row.turns_taken + "/" + row.total_turns;
      tr.cells[5].textContent = "$" + Number(row.cost_usd).toFixed(4);
      tr.cells[6].textContent = row.verdict || "—";
    });
  }

  var root = document.getElementById("live");
  if (root) watchDebate(root);
  var form = document.getElementById("start");
  if (form) startForm(form);
  var table = document.getElementById("debates");
  if (table) followList(table);
})();
