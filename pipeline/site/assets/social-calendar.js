// The filter of the calendar's month and agenda pages (pipeline/site): choose a channel, a tag or
// a state, and the posts that do not match are hidden at once. Without this script the form stays
// hidden and the links to each channel's and tag's page do the filtering. It asks no other host
// for anything. The choice is kept in the address (month.html?channel=mastodon), so it follows
// the reader to the previous and next month and can be shared.
(function () {
  "use strict";
  var form = document.querySelector("form.sc-filter");
  if (!form) {
    return;
  }
  var FIELDS = ["channel", "tag", "state"];
  var entries = Array.prototype.slice.call(document.querySelectorAll("[data-sc-channels]"));
  var status = form.querySelector(".sc-filter-status");

  function words(entry, name) {
    return (entry.getAttribute("data-sc-" + name) || "").split(" ").filter(Boolean);
  }

  function matches(entry, chosen) {
    if (chosen.channel && words(entry, "channels").indexOf(chosen.channel) < 0) {
      return false;
    }
    if (chosen.tag && words(entry, "tags").indexOf(chosen.tag) < 0) {
      return false;
    }
    if (chosen.state) {
      // "channel:state" pairs: with a channel chosen, the state must be that channel's
      return words(entry, "states").some(function (pair) {
        var parts = pair.split(":");
        return parts[1] === chosen.state && (!chosen.channel || parts[0] === chosen.channel);
      });
    }
    return true;
  }

  function chosenValues() {
    var chosen = {};
    FIELDS.forEach(function (name) { chosen[name] = form.elements[name].value; });
    return chosen;
  }

  function apply() {
    var chosen = chosenValues();
    var shown = 0;
    entries.forEach(function (entry) {
      var match = matches(entry, chosen);
      entry.hidden = !match;
      shown += match ? 1 : 0;
    });
    var filtered = FIELDS.some(function (name) { return chosen[name]; });
    status.textContent = filtered ? "Showing " + shown + " of " + entries.length + " posts." : "";
    var query = new URLSearchParams();
    FIELDS.forEach(function (name) {
      if (chosen[name]) {
        query.set(name, chosen[name]);
      }
    });
    var search = query.toString() ? "?" + query.toString() : "";
    try {
      history.replaceState(null, "", location.pathname + search + location.hash);
    } catch (error) {
      // some browsers refuse it for pages opened from disk; the filter works all the same
    }
    document.querySelectorAll(".sc-pager a").forEach(function (link) { link.search = search; });
  }

  var asked = new URLSearchParams(location.search);
  FIELDS.forEach(function (name) {
    var select = form.elements[name];
    var value = asked.get(name);
    var offered = Array.prototype.some.call(select.options, function (option) { return option.value === value; });
    if (value && offered) {
      select.value = value;
    }
  });
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });  // once the fields are reset
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
