/* The review screen's keys, passage choice and selection-to-evidence. Plain JavaScript, no framework.
 * Keys never fire while the analyst types in a text field, a textarea or a list box, nor with Ctrl/Alt/Meta. */
(function () {
  "use strict";
  var screen = document.getElementById("review-screen");
  if (!screen) return;
  var form = document.getElementById("decision-form");
  var text = document.getElementById("review-text");
  var help = document.getElementById("review-keys");

  function field(name) { return form ? form.querySelector("[name=" + name + "]") : null; }
  function radios(name) { return form ? Array.prototype.slice.call(form.querySelectorAll("input[type=radio][name=" + name + "]")) : []; }

  function typing(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName !== "INPUT") return false;
    return ["radio", "checkbox", "submit", "button", "reset", "hidden"].indexOf(el.type) < 0;
  }

  // One submission per page: a second Enter / c / u while the next page loads would post a stale version.
  var busy = false;
  document.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function () { busy = true; });
  });

  function submit(action) {
    var button = form && form.querySelector("button[name=action][value=" + action + "]");
    if (button && !busy) form.requestSubmit(button);
  }

  // Evidence: the ranked passages (1–3), "chosen" (taken elsewhere) and the radios mirror each other.
  function showChoice() {
    var choice = form ? (form.querySelector("input[name=evidence_choice]:checked") || {}).value : "";
    document.querySelectorAll("[data-key]").forEach(function (el) {
      var key = el.getAttribute("data-key");
      el.classList.toggle("chosen", key === choice || (choice === "paste" && key === "chosen"));
    });
  }

  function choose(rank) {
    var radio = form && form.querySelector("input[name=evidence_choice][value='" + rank + "']");
    if (!radio) return false;
    radio.checked = true;
    showChoice();
    scrollToPassage(rank);
    return true;
  }

  function scrollToPassage(key) {
    var target = document.getElementById("passage-" + key);
    var pane = text && text.closest(".review-right");
    if (!target || !pane) return;
    var top = target.getBoundingClientRect().top - pane.getBoundingClientRect().top + pane.scrollTop;
    pane.scrollTop = Math.max(0, top - pane.clientHeight / 3);
  }

  // A selection inside the review text, as offsets of the report text: each run carries its offset
  // (data-at); characters are counted as code points, as Python counts them.
  function codePoints(s) { return Array.from(s).length; }

  function offsetOf(node, offset, isEnd) {
    var el = node.nodeType === 1 ? node : node.parentElement;
    var run = el && el.closest("[data-at]");
    if (!run) return betweenRuns(node, offset, isEnd);
    if (!text.contains(run)) return null;
    if (node.nodeType === 1) {  // a boundary between child nodes: count the text of those before it
      var probe = document.createRange();
      probe.setStart(run, 0);
      probe.setEnd(node, offset);
      return Number(run.getAttribute("data-at")) + codePoints(probe.toString());
    }
    var walker = document.createTreeWalker(run, NodeFilter.SHOW_TEXT);
    var count = 0;
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n === node) return Number(run.getAttribute("data-at")) + count + codePoints(n.data.slice(0, offset));
      count += codePoints(n.data);
    }
    return null;
  }

  // The report's characters start..end, read from the runs (headings and gap notes are not report text);
  // null when the runs do not cover the span without a hole.
  function textBetween(start, end) {
    var out = [];
    var at = start;
    text.querySelectorAll("span.run").forEach(function (run) {
      var from = Number(run.getAttribute("data-at"));
      var chars = Array.from(run.textContent);
      if (from > at || from + chars.length <= at || at >= end) return;
      var piece = chars.slice(at - from, Math.min(chars.length, end - from));
      out.push(piece.join(""));
      at += piece.length;
    });
    return at === end ? out.join("") : null;
  }

  // A boundary outside every run (a triple click, a drag that starts on a heading): a start takes the
  // first run after it, an end the last run before it.
  function betweenRuns(node, offset, isEnd) {
    if (!text.contains(node) && node !== text) return null;
    var point = document.createRange();
    point.setStart(node, offset);
    var runs = Array.prototype.slice.call(text.querySelectorAll("span.run"));
    if (!isEnd) {
      for (var i = 0; i < runs.length; i++) {
        if (point.comparePoint(runs[i], 0) >= 0) return Number(runs[i].getAttribute("data-at"));
      }
      return null;
    }
    for (var j = runs.length - 1; j >= 0; j--) {
      if (point.comparePoint(runs[j], runs[j].childNodes.length) <= 0) {
        return Number(runs[j].getAttribute("data-at")) + codePoints(runs[j].textContent);
      }
    }
    return null;
  }

  function takeSelection() {
    var selection = window.getSelection();
    if (!form || !text || !selection || selection.rangeCount === 0 || selection.isCollapsed) {
      flash("请先在右侧回顾中用鼠标或 Shift+方向键选取文字");
      return;
    }
    var range = selection.getRangeAt(0);
    var start = offsetOf(range.startContainer, range.startOffset, false);
    var end = offsetOf(range.endContainer, range.endOffset, true);
    if (start === null || end === null || end <= start) {
      flash("选取的文字须在右侧回顾之内");
      return;
    }
    var quoted = textBetween(start, end);
    if (quoted === null) {
      flash("选取的文字跨越了省略或不相连的部分，请在一段之内选取");
      return;
    }
    field("evidence_paste").value = quoted;
    field("evidence_report").value = text.getAttribute("data-report");
    field("evidence_start").value = start;
    field("evidence_end").value = end;
    choose("paste");
    flash("已采用选中的文字为证据（位置 " + start + "–" + end + "）");
  }

  function flash(message) {
    var line = document.getElementById("review-flash");
    if (line) line.textContent = message;
  }

  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "evidence_choice") showChoice();
      if (event.target.name === "status" && event.target.value === "not_fulfilled") {
        var reason = field("failure_reason");
        if (reason) reason.focus();
      }
    });
    var paste = field("evidence_paste");
    if (paste) {
      paste.addEventListener("input", function () {  // typed by hand: text only, no place
        ["evidence_report", "evidence_start", "evidence_end"].forEach(function (name) { field(name).value = ""; });
        choose("paste");
      });
    }
  }

  document.querySelectorAll("[data-choose]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (window.getSelection && !window.getSelection().isCollapsed) return;  // selecting, not choosing
      if (event.target.closest("a, button, input")) return;
      choose(el.getAttribute("data-choose"));
    });
  });
  if (text) {
    text.addEventListener("click", function (event) {
      var passage = event.target.closest(".passage");
      if (!passage || !window.getSelection().isCollapsed) return;
      choose(passage.getAttribute("data-key") === "chosen" ? "paste" : passage.getAttribute("data-key"));
    });
  }
  var take = document.getElementById("take-selection");
  if (take) {
    take.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the selection
    take.addEventListener("click", takeSelection);
  }
  var openHelp = document.getElementById("open-keys");
  if (openHelp && help) openHelp.addEventListener("click", function () { help.showModal(); });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    if (busy || event.repeat) { if (!typing(event.target)) event.preventDefault(); return; }
    // Enter in a list box (the failure reason) saves and goes on, as in a text input; all else is its own.
    if (event.key === "Enter" && event.target.tagName === "SELECT" && form && form.contains(event.target)) {
      event.preventDefault();
      submit("save_next");
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();  // leave the field; the keys work again
      return;
    }
    if (help && help.open) {
      if (event.key === "?" || event.key === "Escape") { help.close(); event.preventDefault(); }
      return;
    }
    var key = event.key;
    var statuses = radios("status");
    var handled = true;
    if (key >= "1" && key <= "5" && statuses.length) {
      var radio = statuses[Number(key) - 1];
      if (radio) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
    } else if (key >= "6" && key <= "8") {
      handled = choose(String(Number(key) - 5));
    } else if (key === "c" && screen.getAttribute("data-mode") === "review") {
      submit("confirm");
    } else if (key === "Enter") {
      var el = event.target;
      if (el && (el.tagName === "A" || el.tagName === "BUTTON" || el.tagName === "SUMMARY")) return;  // its own action
      submit("save_next");
    } else if (key === "s") {
      var skip = screen.getAttribute("data-skip-url");
      if (skip) window.location.assign(skip); else handled = false;
    } else if (key === "u") {
      var undo = document.getElementById("undo-form");
      if (undo) { if (!busy) undo.requestSubmit(); } else flash("本次没有可撤销的决定");
    } else if (key === "n") {
      var note = field("note");
      if (note) note.focus();
    } else if (key === "e") {
      takeSelection();
    } else if (key === "?") {
      if (help) help.showModal();
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });

  showChoice();
  var chosen = form && form.querySelector("input[name=evidence_choice]:checked");
  scrollToPassage(chosen && chosen.value !== "paste" && chosen.value ? chosen.value : (document.getElementById("passage-1") ? "1" : "chosen"));
})();
