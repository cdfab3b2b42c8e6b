"""Runs bench/ecs_public_tasks.sql with DuckDB over every evidence file under a folder and prints
the count. Usage: duckdb_join.py DIR"""
import glob
import os
import sys

import duckdb

root = sys.argv[1]
files = sorted(f for f in glob.glob(os.path.join(root, "**", "*.json"), recursive=True)
               if os.path.basename(f) != "MANIFEST.json")
sql = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ecs_public_tasks.sql")).read()
con = duckdb.connect()
con.execute("SET VARIABLE files = ?", [files])
print(con.execute(sql).fetchone()[0])
