"""The demo district (`dangjian demo`) and the synthetic-district generator (`dangjian synth`)."""
