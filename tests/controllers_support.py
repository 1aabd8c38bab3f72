"""A case file of three controllers and a processor, shared by the controller tests (no test lives here)."""

from __future__ import annotations

from test_notify_support import FILLED_CASE

#: Synthetic FINESS numbers (Luhn-valid) and SIRENs (Luhn-valid) of fictional laboratories on the .test domain.
CONTROLLERS_TOML = '''
[[controllers]]
id = "armor"
name = "Laboratoire Bio Armor"
address = "2 rue du Port, 22000 Saint-Brieuc"
siren = "732829320"
dpo = { name = "Yann Le Bihan", email = "dpo@bio-armor.test", phone = "02 96 00 00 00" }
contact = { email = "patients@bio-armor.test", phone = "02 96 00 00 01" }
from = "Laboratoire Bio Armor <notices@bio-armor.test>"
labs = ["Laboratoire Bio Armor", "LBM Bio Armor"]
finess = ["220000012"]

[[controllers]]
id = "iroise"
name = "Labo Iroise"
address = "9 quai de la Douane, 29200 Brest"
dpo = { email = "dpo@labo-iroise.test" }
from = "Labo Iroise <notices@labo-iroise.test>"
labs = ["Labo Iroise"]
finess = ["290000017"]
files = ["iroise/*"]

[[controllers]]
id = "mutuelle"
name = "Mutuelle des Abers"
address = "1 place du Marché, 29870 Lannilis"
insurers = ["Mutuelle des Abers"]
amc = ["12345678"]
tables = ["adherents.sql:adherents_abers"]

[attribution]
columns = ["NUM_AMC"]

[processor]
name = "Logilab Santé"
address = "5 avenue des Champs Blancs, 35510 Cesson-Sévigné"
siren = "552100554"
dpo = { name = "Anne Kervella", email = "dpo@logilab-sante.test" }
'''

#: A filled case file declaring the three controllers above and the processor; Iroise signs shared notices.
MANY_CASE = FILLED_CASE.replace("signing = []", 'signing = ["iroise"]') + CONTROLLERS_TOML
