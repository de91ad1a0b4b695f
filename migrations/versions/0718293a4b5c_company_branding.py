"""company_branding: the company's name, logo and colours in customer mail and pages (issue 16)

One row at most (ck_company_branding_single_row), written by an administrator through
app.services.branding; with no row, or a column left NULL, the customer sees the app's own look
and the configured name (SOPORTE_COMPANY_NAME). The logo is kept in the row (a PNG or a JPEG the
service has checked, with its measured size and a digest for caching); the database refuses a
content type other than those two and a colour that is not seven characters starting with '#'.
Nothing to fill for existing installations.

Revision ID: 0718293a4b5c
Revises: f60718293a4b
Create Date: 2026-11-26 12:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0718293a4b5c'
down_revision = 'f60718293a4b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_branding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('primary_color', sa.String(length=7), nullable=True),
    sa.Column('accent_color', sa.String(length=7), nullable=True),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_content_type', sa.String(length=20), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('logo_sha256', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_company_branding_single_row')),
    sa.CheckConstraint("primary_color IS NULL OR (length(primary_color) = 7 AND substr(primary_color, 1, 1) = '#')",
                       name=op.f('ck_company_branding_primary_color_format')),
    sa.CheckConstraint("accent_color IS NULL OR (length(accent_color) = 7 AND substr(accent_color, 1, 1) = '#')",
                       name=op.f('ck_company_branding_accent_color_format')),
    sa.CheckConstraint("logo_content_type IS NULL OR logo_content_type IN ('image/png', 'image/jpeg')",
                       name=op.f('ck_company_branding_logo_content_type_raster')),
    sa.CheckConstraint('(logo IS NULL AND logo_content_type IS NULL AND logo_sha256 IS NULL'
                       ' AND logo_width IS NULL AND logo_height IS NULL)'
                       ' OR (logo IS NOT NULL AND logo_content_type IS NOT NULL AND logo_sha256 IS NOT NULL'
                       ' AND logo_width > 0 AND logo_height > 0)',
                       name=op.f('ck_company_branding_logo_complete')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_company_branding_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_branding'))
    )


def downgrade():
    op.drop_table('company_branding')
