"""The recurrent cell search on Penn Treebank (Sec. 5.3, App. E, Table 3, Fig. 6)."""
