#!/usr/bin/python3
"""watchdog.py LIMIT_MB SECS CMD... - run CMD, sampling its peak RSS (VmHWM); kill it past
LIMIT_MB or after SECS seconds.  stdout goes to /dev/null, stderr to $WD_ERR.  Prints
"RC PEAK_MIB KILLED SECS" with KILLED '-', 'rss' or 'time'."""
import os
import subprocess
import sys
import time

limit, secs, cmd = int(sys.argv[1]) << 10, float(sys.argv[2]), sys.argv[3:]
t0 = time.time()
peak, why = 0, '-'
with open(os.environ.get('WD_ERR', '/dev/null'), 'wb') as err:
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    while True:
        # wait4: the child's own peak once it is done (one that ends before the first look too)
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            peak = max(peak, ru.ru_maxrss)
            break
        try:
            with open(f'/proc/{p.pid}/status') as f:
                for line in f:
                    if line.startswith('VmHWM:'):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        if why == '-' and peak > limit:
            why = 'rss'
            p.kill()
        elif why == '-' and time.time() - t0 > secs:
            why = 'time'
            p.kill()
        time.sleep(0.02)
print(os.waitstatus_to_exitcode(status), peak >> 10, why, f'{time.time() - t0:.1f}')
