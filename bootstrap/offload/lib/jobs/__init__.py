"""Jobs: files in (submit), the jobs table read and shown (status), failed jobs run again (rerun)."""
