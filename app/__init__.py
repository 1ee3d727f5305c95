"""Desktop GUI (PyQt5 + pyqtgraph): a thin view over pipeline.Pipeline."""
