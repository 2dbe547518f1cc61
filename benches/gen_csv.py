#!/usr/bin/env python3
"""Writes N appointment rows as the clinic's export would (for the import benchmark).

Usage: benches/gen_csv.py N OUT.csv [--mapped]

Plain: the plain format's columns under their own names, comma-separated, ISO date-times.
--mapped: an Open Dental-style tab-separated export read through [csv.columns] (the config is
benches/mapped.toml): AptNum, PatNum, names, the date and the time in two columns
(`11/25/2026`, `9:30 AM`), three phone columns (WirelessPhone empty for a third of the rows,
so the list moves on to HmPhone, a call_only column), TxtMsgOk Yes/No/Unknown, Language
eng/fra, and a note.

Numbers are real-looking North American numbers in several area codes, a few formats mixed;
every 50th row repeats an earlier one (a duplicate) and every 200th has a bad phone number.
"""
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
mapped = "--mapped" in sys.argv[3:]
rng = random.Random(42)
areas = ["416", "647", "437", "613", "343", "514", "438", "604", "778", "403", "587", "902"]
formats = ["{a}-{e}-{l}", "({a}) {e}-{l}", "+1 {a} {e} {l}", "{a}.{e}.{l}", "{a}{e}{l}"]
last_names = ["Tremblay", "Gagnon", "Roy", "Côté", "Smith", "Li", "Nguyen", "Martin", "Brown"]
first_names = ["Marie", "Luc", "Emma", "Wei", "Sara", "Adam", "Julie", "Noël", "Ben"]


def phone():
    a = rng.choice(areas)
    e = str(rng.randint(200, 999))
    l = "%04d" % rng.randint(0, 9999)
    return rng.choice(formats).format(a=a, e=e, l=l), l


def plain_row(i):
    number, l = phone()
    if i % 200 == 100:
        number = "555-" + l
    day = 25 + (i % 5)
    hh = 8 + (i % 10)
    mm = (i * 7) % 60
    return "A%07d,P%07d,%s,%s,%s,2026-11-%02d %02d:%02d,Reminder: your appointment on Nov %d at %d:%02d.,%s\n" % (
        i, i % 400000, number, rng.choice("YN"), rng.choice("YN"), day, hh, mm, day, hh, mm, rng.choice(["en", "fr"]))


def mapped_row(i):
    cell, l = phone()
    home, _ = phone()
    if i % 200 == 100:
        cell, home = "555-" + l, ""
    elif i % 3 == 0:
        cell = ""
    day = 25 + (i % 5)
    hh = 8 + (i % 10)
    mm = (i * 7) % 60
    twelve = "%d:%02d %s" % ((hh - 1) % 12 + 1, mm, "AM" if hh < 12 else "PM")
    fields = [
        "%d" % (100000 + i),
        "%d" % (i % 400000),
        rng.choice(last_names),
        rng.choice(first_names),
        "11/%02d/2026" % day,
        twelve,
        home,
        "",
        cell,
        rng.choice(["Yes", "No", "Unknown"]),
        rng.choice(["eng", "fra"]),
        "Bring your card. Room %d." % (1 + i % 12),
    ]
    return "\t".join(fields) + "\r\n"


if mapped:
    header = "AptNum\tPatNum\tLName\tFName\tAptDate\tAptTime\tHmPhone\tWkPhone\tWirelessPhone\tTxtMsgOk\tLanguage\tNote\r\n"
    make = mapped_row
else:
    header = "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time,appointment_msg,language\n"
    make = plain_row

with open(out, "w", newline="", encoding="utf-8") as f:
    f.write(header)
    prev = []
    for i in range(n):
        if i % 50 == 49 and prev:
            f.write(rng.choice(prev))
            continue
        row = make(i)
        if len(prev) < 1000:
            prev.append(row)
        f.write(row)
