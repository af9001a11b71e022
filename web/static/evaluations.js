/* Evaluation page: add/remove rows of repeating fields, show/hide conditional fields.
   Everything works without this file (spare rows are rendered, the server drops hidden
   answers); it only makes the form nicer. No dependencies. */
(function () {
  "use strict";

  function renumber(container) {
    container.querySelectorAll("[data-row]").forEach(function (row, i) {
      var n = row.querySelector("[data-row-number]");
      if (n) { n.textContent = String(i + 1); }
    });
  }

  function rowIndex(row, name) {
    var input = row.querySelector("[name^='" + name + "-']");
    var m = input && input.name.match(/^[a-z0-9_]+-(\d+)-/);
    return m ? parseInt(m[1], 10) : -1;
  }

  function addRow(container, name) {
    var rows = container.querySelectorAll("[data-row]");
    if (!rows.length) { return; }
    var last = rows[rows.length - 1];
    var next = 0;
    rows.forEach(function (r) { next = Math.max(next, rowIndex(r, name) + 1); });
    var old = rowIndex(last, name);
    var clone = last.cloneNode(true);
    var from = name + "-" + old + "-";
    var to = name + "-" + next + "-";
    clone.querySelectorAll("[name],[id],[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v && v.indexOf(from) === 0) { el.setAttribute(attr, to + v.slice(from.length)); }
      });
      if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else if (el.tagName === "TEXTAREA" || el.tagName === "INPUT") { el.value = ""; }
      el.classList.remove("is-invalid");
    });
    clone.querySelectorAll(".invalid-feedback").forEach(function (e) { e.remove(); });
    container.appendChild(clone);
    wireRemove(clone, container);
    renumber(container);
    var first = clone.querySelector("input,textarea,select");
    if (first) { first.focus(); }
  }

  function wireRemove(row, container) {
    var button = row.querySelector("[data-remove-row]");
    if (!button) { return; }
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      if (container.querySelectorAll("[data-row]").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input,textarea").forEach(function (el) { el.value = ""; });
        row.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
      }
      renumber(container);
    });
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var name = button.getAttribute("data-add-row");
    var container = document.querySelector("[data-rows='" + name + "']");
    if (!container) { return; }
    container.querySelectorAll("[data-row]").forEach(function (row) { wireRemove(row, container); });
    button.classList.remove("d-none");
    button.addEventListener("click", function () { addRow(container, name); });
  });

  function valuesOf(form, name) {
    var out = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.value) { out.push(el.value); }
    });
    return out;
  }

  function applyShowWhen(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (wrapper) {
      var rule = JSON.parse(wrapper.getAttribute("data-show-when"));
      var results = rule.conditions.map(function (c) {
        return valuesOf(form, c.field).some(function (v) { return c.values.indexOf(v) >= 0; });
      });
      var show = rule.mode === "all" ? results.every(Boolean) : results.some(Boolean);
      wrapper.classList.toggle("d-none", !show);
    });
  }

  document.querySelectorAll("form.step-form").forEach(function (form) {
    if (!form.querySelector("[data-show-when]")) { return; }
    form.addEventListener("change", function () { applyShowWhen(form); });
    applyShowWhen(form);
  });
})();
