// Rubric editor: add and remove criteria and levels in the page instead of a round trip.
// Without this script the same buttons post their action and the server redraws the form.
// Rows are cloned from server-rendered <template>s (all text already translated); field
// numbers only have to be unique, so removed rows leave gaps and shown numbers are redone.
(function () {
  "use strict";
  var form = document.getElementById("pp-rubric-form");
  if (!form) return;
  var list = document.getElementById("pp-criteria");
  var status = document.getElementById("pp-rubric-status");
  var criterionTemplate = document.getElementById("pp-criterion-template");
  var levelTemplate = document.getElementById("pp-level-template");
  var d = form.dataset;
  var ATTRIBUTES = ["name", "id", "for", "value", "aria-describedby"];

  function say(text) {
    // Cleared first so the same message twice in a row is announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 60);
  }

  function criteria() {
    return Array.prototype.slice.call(list.querySelectorAll("fieldset.pp-rubric-criterion"));
  }

  function criterion(n) {
    return list.querySelector('fieldset.pp-rubric-criterion[data-n="' + n + '"]');
  }

  function levels(fieldset) {
    return Array.prototype.slice.call(fieldset.querySelectorAll("li.pp-rubric-level"));
  }

  function nextNumber(nodes, attribute) {
    return nodes.reduce(function (max, node) {
      return Math.max(max, parseInt(node.getAttribute(attribute), 10) || 0);
    }, 0) + 1;
  }

  function clone(template, replacements) {
    var node = template.content.firstElementChild.cloneNode(true);
    var all = [node].concat(Array.prototype.slice.call(node.querySelectorAll("*")));
    all.forEach(function (element) {
      ATTRIBUTES.concat(["data-n", "data-m"]).forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (value === null) return;
        Object.keys(replacements).forEach(function (key) {
          value = value.split(key).join(String(replacements[key]));
        });
        element.setAttribute(attribute, value);
      });
    });
    return node;
  }

  function renumber() {
    criteria().forEach(function (fieldset, i) {
      fieldset.id = "criterion-" + (i + 1);
      fieldset.querySelectorAll(".pp-criterion-number").forEach(function (span) {
        span.textContent = String(i + 1);
      });
      levels(fieldset).forEach(function (row, j) {
        row.querySelectorAll(".pp-level-number").forEach(function (span) {
          span.textContent = String(j + 1);
        });
      });
    });
  }

  function nextPoints(rows) {
    var numbers = rows.map(function (row) {
      return parseFloat(row.querySelector("input[name$='-points']").value);
    }).filter(function (x) { return !isNaN(x); });
    return numbers.length ? String(Math.max.apply(null, numbers) + 1) : "0";
  }

  function addCriterion() {
    var all = criteria();
    if (all.length >= parseInt(d.maxCriteria, 10)) { say(d.msgTooManyCriteria); return; }
    var n = nextNumber(all, "data-n");
    var fieldset = clone(criterionTemplate, { "__N__": n });
    list.appendChild(fieldset);
    renumber();
    fieldset.querySelector("input[name$='-title']").focus();
    say(d.msgCriterionAdded.replace("{n}", String(criteria().length)));
  }

  function removeCriterion(n) {
    var fieldset = criterion(n);
    if (!fieldset) return;
    var neighbour = fieldset.nextElementSibling || fieldset.previousElementSibling;
    fieldset.remove();
    renumber();
    var target = neighbour ? neighbour.querySelector("input[name$='-title']") : null;
    (target || document.getElementById("pp-add-criterion")).focus();
    say(d.msgCriterionRemoved);
  }

  function addLevel(n) {
    var fieldset = criterion(n);
    if (!fieldset) return;
    var rows = levels(fieldset);
    if (rows.length >= parseInt(d.maxLevels, 10)) { say(d.msgTooManyLevels); return; }
    var row = clone(levelTemplate, { "__N__": n, "__M__": nextNumber(rows, "data-m") });
    row.querySelector("input[name$='-points']").value = nextPoints(rows);
    fieldset.querySelector(".pp-rubric-level-list").appendChild(row);
    renumber();
    row.querySelector("input[name$='-points']").focus();
    say(d.msgLevelAdded.replace("{n}", String(criteria().indexOf(fieldset) + 1)));
  }

  function removeLevel(n, m) {
    var fieldset = criterion(n);
    var row = fieldset ? fieldset.querySelector('li.pp-rubric-level[data-m="' + m + '"]') : null;
    if (!row) return;
    row.remove();
    renumber();
    fieldset.querySelector("button[value^='add-level-']").focus();
    say(d.msgLevelRemoved);
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=action]");
    if (!button || button.value === "save") return;
    var v = button.value;
    var match;
    if (v === "add-criterion") {
      addCriterion();
    } else if ((match = /^remove-criterion-(\d+)$/.exec(v))) {
      removeCriterion(match[1]);
    } else if ((match = /^add-level-(\d+)$/.exec(v))) {
      addLevel(match[1]);
    } else if ((match = /^remove-level-(\d+)-(\d+)$/.exec(v))) {
      removeLevel(match[1], match[2]);
    } else {
      return;
    }
    event.preventDefault();
  });

  // Feedback-only criteria have no levels and no weight: hide them while it is ticked.
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("pp-rubric-feedback-only")) return;
    var fieldset = box.closest("fieldset.pp-rubric-criterion");
    fieldset.querySelector(".pp-rubric-levels").hidden = box.checked;
    fieldset.querySelector(".pp-rubric-weight").hidden = box.checked;
    var comment = fieldset.querySelector("select[name$='-comment']");
    if (box.checked && comment.value === "off") comment.value = "required";
  });
})();
