"""fuite.text: the one text fold (accents, case, ligatures) every lexicon, header and name is compared in."""
