import factory
from django.contrib.auth.models import Group

from omni.choices import Audience
from omni.models import User

PASSWORD = "pw-Test-12345"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    full_name = factory.Faker("name")
    audience = Audience.STAFF
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))


def customer_for(account, *, email: str, password: str = PASSWORD) -> User:
    from crm import services

    return services.customer_user_create(account_id=account.pk, email=email, password=password)
