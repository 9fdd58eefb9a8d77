"""Building what each participant is sent: windowing within its budget, and summaries of what falls out."""
