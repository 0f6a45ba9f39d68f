"""Fitting the matcher on labelled pairs (scikit-learn) and measuring it leave-one-pair-out."""
