/* Follow a task's logs: poll taskstatus every 5 s and append the new bytes of each log. */
(function () {
    'use strict';
    var box = document.getElementById('logs');
    var stateEl = document.getElementById('watchstate');
    if (!box) { return; }
    var taskID = box.getAttribute('data-task');
    var sizes = {};
    var CHUNK = 16384;
    var DONE = {CLOSED: 1, FAILED: 1, CANCELED: 1};

    function get(url, done) {
        var xhr = new XMLHttpRequest();
        xhr.open('GET', url);
        xhr.onload = function () { done(xhr.status === 200 ? xhr.responseText : null); };
        xhr.onerror = function () { done(null); };
        xhr.send();
    }

    function append(volume, name, text) {
        var id = 'log-' + volume + '-' + name;
        var part = document.getElementById(id);
        if (!part) {
            var head = document.createElement('h4');
            head.textContent = (volume === 'DEFAULT' ? '' : volume + '/') + name;
            part = document.createElement('div');
            part.id = id;
            box.appendChild(head);
            box.appendChild(part);
        }
        part.appendChild(document.createTextNode(text));
    }

    function fetchMore(volume, name, target, next) {
        var key = volume + ':' + name;
        var have = sizes[key] || 0;
        if (have >= target) { next(); return; }
        var size = Math.min(CHUNK, target - have);
        var url = 'getfile?taskID=' + encodeURIComponent(taskID) + '&volume=' +
            encodeURIComponent(volume) + '&name=' + encodeURIComponent(name) +
            '&offset=' + have + '&size=' + size;
        get(url, function (text) {
            if (text === null) { next(); return; }
            append(volume, name, text);
            sizes[key] = have + size;
            fetchMore(volume, name, target, next);
        });
    }

    function poll() {
        get('taskstatus?taskID=' + encodeURIComponent(taskID), function (text) {
            if (!text) { stateEl.textContent = 'unknown task'; return; }
            var lines = text.trim().split('\n');
            var state = lines[0].split(':')[1];
            stateEl.textContent = state.toLowerCase();
            var files = [];
            lines.slice(1).forEach(function (line) {
                var first = line.indexOf(':');
                var last = line.lastIndexOf(':');
                var name = line.substring(first + 1, last);
                if (/\.log$/.test(name)) {
                    files.push([line.substring(0, first), name,
                                parseInt(line.substring(last + 1), 10)]);
                }
            });
            (function step(i) {
                if (i >= files.length) {
                    if (!DONE[state]) { window.setTimeout(poll, 5000); }
                    return;
                }
                fetchMore(files[i][0], files[i][1], files[i][2], function () { step(i + 1); });
            })(0);
        });
    }
    poll();
}());
