"""Input and output shapes for the accounts REST API. No rules here: services hold them."""

from rest_framework import serializers

from cms.api.serializers import MeterSummarySerializer


class RegisterInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    session = serializers.BooleanField(required=False, default=False)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=100)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class SubscriptionSummarySerializer(serializers.Serializer):
    status = serializers.CharField()
    entitled = serializers.BooleanField()
    kind = serializers.CharField(allow_null=True)
    plan = serializers.CharField(allow_null=True)
    plan_display = serializers.CharField(allow_null=True)
    is_trial = serializers.BooleanField()
    is_comp = serializers.BooleanField()
    current_period_end = serializers.DateTimeField(allow_null=True)
    trial_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uuid = serializers.UUIDField(help_text="The account's public id: the apps' StoreKit `appAccountToken`.")
    email = serializers.EmailField()
    pending_email = serializers.CharField()
    display_name = serializers.CharField()
    email_verified = serializers.BooleanField(source="is_verified")
    email_verified_at = serializers.DateTimeField(allow_null=True)
    newsletter = serializers.BooleanField()
    notify_replies = serializers.BooleanField()
    is_staff = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    subscription = SubscriptionSummarySerializer(allow_null=True)
    meter = MeterSummarySerializer()


class LoginOutputSerializer(TokenPairSerializer):
    user = MeOutputSerializer()


class MeUpdateInputSerializer(serializers.Serializer):
    """Only these fields can be written; anything else in the body (is_staff, subscription, meter...) is ignored."""

    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False)
    current_password = serializers.CharField(max_length=128, required=False, trim_whitespace=False)
    newsletter = serializers.BooleanField(required=False)
    notify_replies = serializers.BooleanField(required=False)


class MeDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, trim_whitespace=False)
