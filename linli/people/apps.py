from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "linli.people"
    label = "people"

    def ready(self):
        from auditlog.registry import auditlog

        from linli.people.models import Household, Membership, Person

        auditlog.register(Household)
        auditlog.register(Membership)
        # The change log keeps only the masked ID-card number (never ciphertext or index), and the
        # phone masked the way pages show it.
        auditlog.register(Person, exclude_fields=["id_number_encrypted", "id_number_index"],
                          mask_fields=["phone"], mask_callable="linli.core.masking.mask_phone",
                          m2m_fields={"care_tags"})
