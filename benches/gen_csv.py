#!/usr/bin/env python3
"""Writes N appointment rows as the clinic's export would (for the import benchmark).

Usage: benches/gen_csv.py N OUT.csv
Numbers are real-looking North American numbers in several area codes, a few formats mixed;
every 50th row repeats an earlier one (a duplicate) and every 200th has a bad phone number.
"""
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(42)
areas = ["416", "647", "437", "613", "343", "514", "438", "604", "778", "403", "587", "902"]
formats = ["{a}-{e}-{l}", "({a}) {e}-{l}", "+1 {a} {e} {l}", "{a}.{e}.{l}", "{a}{e}{l}"]
with open(out, "w", newline="") as f:
    f.write("appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg,language\n")
    prev = []
    for i in range(n):
        if i % 50 == 49 and prev:
            f.write(rng.choice(prev))
            continue
        a = rng.choice(areas)
        e = str(rng.randint(200, 999))
        l = "%04d" % rng.randint(0, 9999)
        phone = rng.choice(formats).format(a=a, e=e, l=l)
        if i % 200 == 100:
            phone = "555-" + l
        day = 25 + (i % 5)
        hh = 8 + (i % 10)
        mm = (i * 7) % 60
        row = "A%07d,P%07d,%s,%s,%s,2026-11-%02d %02d:%02d,Reminder: your appointment on Nov %d at %d:%02d.,%s\n" % (
            i, i % 400000, phone, rng.choice("YN"), rng.choice("YN"), day, hh, mm, day, hh, mm, rng.choice(["en", "fr"]))
        if len(prev) < 1000:
            prev.append(row)
        f.write(row)
